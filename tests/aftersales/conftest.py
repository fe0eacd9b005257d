"""The partner API fixtures, shared with tests/partners."""

from tests.partners.conftest import (  # noqa: F401
    _fresh_cache,
    key_client,
    partner_a,
    partner_b,
    staff_client,
)
