"""Test mode: fast hashing, local e-mail outbox, same database/broker as the env."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-kefu-not-for-production-xxxxxxxxxxxxxxxx"
KEFU_PII_KEY = "test-only-pii-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Login lockout off by default: Django's test client ``login()`` calls
# authenticate() without a request, which axes refuses. tests/security/test_lockout.py
# switches it on (``settings.AXES_ENABLED = True``) to test the lockout itself.
AXES_ENABLED = False

# A second alias that mirrors the test database, so that the replica router is
# exercised (tests/config/test_replica_router.py switches KEFU_READ_REPLICA on);
# off by default: a mirror is a second connection, which does not see the
# uncommitted rows of a transactional test.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
KEFU_READ_REPLICA = None
