"""Settings of the API benchmark: local settings without DEBUG, plus the
baseline view's URL (``bench.urls``) and a rate limit that never bites."""

from config.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
KEFU_API_RATE = "100000000/min"
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405 - persistent, as in production
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
