"""The project's REST API layer, shared by every app's ``<app>/api/``.

It sits below all apps and imports none of them: one error shape
(``exceptions``), cursor pagination (``pagination``), parsers that answer bad
bodies with 400 (``parsers``), endpoint permissions by API-key scope or model
permission (``permissions``, ``scopes``), rate limits and the block on wrong
credentials (``throttling``), staff tokens (``authentication``), the OpenAPI
schema class (``schema``), the partner credential seen by every endpoint
(``credentials``) and the ``Idempotency-Key`` entry point (``idempotency``).

What needs a model of an app stays in that app and is named by a dotted path in
settings (the composition root), as DRF names its authentication classes:
partners' ``ApiKeyAuthentication`` and its idempotency records.
"""
