"""Models of the partner API (API keys, idempotency, webhooks)."""
