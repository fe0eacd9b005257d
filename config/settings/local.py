"""Development and demo mode: embedded defaults, DEBUG on unless told otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="local-dev-only-not-secret-kefu-2026-xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
)
KEFU_PII_KEY = env.str("KEFU_PII_KEY", default="local-dev-only-pii-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# partners: a local receiver on http:// is fine while developing (private
# addresses still need KEFU_WEBHOOK_ALLOW_PRIVATE=true).
KEFU_WEBHOOK_ALLOW_HTTP = env.bool("KEFU_WEBHOOK_ALLOW_HTTP", default=True)
