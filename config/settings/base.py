"""Settings shared by every mode. Everything that varies comes from the environment.

One reader (``env``) parses variables; see README "Configuration" for the full table.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is optional; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("KEFU_VAR_DIR", default=str(VAR_DIR)))

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm",
    "complaints",
    "aftersales",
    "training",
    "kpi",
    "partners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageMiddleware",
    # Before anything reads the database: NUL characters → 400 (see the class).
    "config.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ is the embedded default; production sets DATABASE_URL.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kefu.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process, the worker and beat share the file without
    # "database is locked" on every concurrent write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )


def postgres_session_options(database: dict) -> dict:
    """PostgreSQL sessions start with JIT compilation off (``-c jit=off``;
    ``DATABASE_PG_OPTIONS`` replaces it, options in the URL win). Kefu's reads
    are many short queries; one with many correlated subqueries (the training
    record) paid 0.4 s of JIT compilation for 0.04 s of work once the planner's
    estimate passed ``jit_above_cost``, and several seconds with large tables.
    Behind PgBouncer set it on the database instead (docs/deployment.md)."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = env.str("DATABASE_PG_OPTIONS", default="-c jit=off")
        if options:
            database.setdefault("OPTIONS", {}).setdefault("options", options)
    return database


postgres_session_options(DATABASES["default"])

# A streaming read replica (optional): KPI pages, exports and the reporting pack
# read from it (config/db_router.py); everything else stays on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = postgres_session_options(env.db_url("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
KEFU_READ_REPLICA = "replica" if "replica" in DATABASES else None


def disable_server_side_cursors(databases: dict) -> None:
    """Behind PgBouncer in transaction mode a server-side cursor cannot outlive
    its transaction: ``QuerySet.iterator()`` must fetch client-side
    (``DATABASE_DISABLE_SERVER_SIDE_CURSORS``, docs/deployment.md). Every
    settings module honours it, so the suite can run through PgBouncer too."""
    for alias in databases.values():
        alias["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
            "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
        )


disable_server_side_cursors(DATABASES)
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "crm.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Internationalisation: Chinese by default, English through the language switch.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Honour the browser's Accept-Language only when asked to: a Chinese service
# organisation wants Chinese screens whatever the browser says.
KEFU_HONOR_ACCEPT_LANGUAGE = env.bool("KEFU_HONOR_ACCEPT_LANGUAGE", default=False)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way to show a date and a time in both languages (2026-12-02 09:30).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# E-mail: console by default; production sets EMAIL_URL (smtp+tls://user:pw@host:587).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that accepts the connection and never answers must not hold a
# worker until its hard time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kefu@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cache: local memory by default, Redis (or anything django-environ parses) when set.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Celery -----------------------------------------------------------------
# Embedded default: kombu's filesystem transport under var/, no server needed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # Broadcast/control exchanges (celery inspect, pidbox) go under var/ too,
        # not into the current directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
)


def _default_result_backend(broker_url: str) -> str:
    if broker_url.startswith("filesystem"):
        return f"file://{VAR_DIR / 'celery' / 'results'}"
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url
    return "rpc://"


CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=_default_result_backend(CELERY_BROKER_URL)
)
CELERY_TASK_IGNORE_RESULT = True  # tasks that return something opt in
CELERY_RESULT_EXPIRES = 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Queues (issue 14): a slow webhook receiver or a long KPI run must not hold up
# the e-mails and the SLA sweep. Each task is routed to one queue by name, and
# each queue has its own (soft, hard) time limits in seconds. A worker started
# without -Q consumes every queue below (`make run`: one worker for all); in
# production run workers per queue (docs/operations.md).
KEFU_TASK_QUEUES: dict[str, tuple[str, ...]] = {
    # periodic sweeps and reminders: short, every minute, must not wait
    "sweeps": (
        "complaints.sla_sweep",
        "crm.revisit_sweep",
        "crm.revisit_plan_by_rules",
        "training.certification_sweep",
        "partners.prune_webhook_backlog",
        "partners.purge_idempotency_records",
        "complaints.auto_close",
        "complaints.capa_overdue_sweep",
        "complaints.capa_spike_sweep",
        "complaints.article_review_reminders",
        "aftersales.visit_reminders",
    ),
    # mail in and out: SMTP sends, messages to customers, the IMAP/Maildir poll
    "email": (
        "crm.deliver_notification_emails",
        "complaints.deliver_customer_messages",
        "complaints.poll_inbound_email",
    ),
    "webhooks": ("partners.deliver_webhooks",),
    "kpi": (
        "kpi.compute_snapshots",
        "kpi.compute_period",
        "kpi.send_monthly_reports",
        "kpi.open_due_audits",
        "kpi.draw_inspection_samples",
    ),
    # everything else: heartbeat, SLA recompute after a policy change, the
    # attitude-training rule
    "default": (
        "kefu.heartbeat",
        "complaints.sla_policy_recompute",
        "training.attitude_check",
    ),
}
KEFU_QUEUE_TIME_LIMITS: dict[str, tuple[int, int]] = {
    "sweeps": (CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT),
    # the e-mail run stops starting sends EMAIL_SEND_MARGIN s before its soft
    # limit (crm.notification_emails)
    "email": (110, 150),
    # the delivery sweep stops taking rows KEFU_WEBHOOK_SWEEP_SECONDS (50) after
    # it starts, well before its soft limit
    "webhooks": (80, 120),
    "kpi": (1500, 1800),
    "default": (CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT),
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in KEFU_TASK_QUEUES]
CELERY_TASK_ROUTES = {
    task: {"queue": queue, "routing_key": queue}
    for queue, tasks in KEFU_TASK_QUEUES.items()
    for task in tasks
}
CELERY_TASK_ANNOTATIONS = {
    task: {
        "soft_time_limit": KEFU_QUEUE_TIME_LIMITS[queue][0],
        "time_limit": KEFU_QUEUE_TIME_LIMITS[queue][1],
    }
    for queue, tasks in KEFU_TASK_QUEUES.items()
    for task in tasks
}
# Worker sizing (issue 14: the worker's memory grew ~0.55 kB per task without
# levelling off). A pool child is replaced after this many tasks or once its
# resident memory passes this many kilobytes (checked after each task), so
# whatever a task leaks (a library cache, a large queryset kept alive) is
# returned to the system instead of accumulating for the worker's lifetime.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_TASKS_PER_CHILD", default=1000
)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD",
    default=300_000,  # kB, i.e. ~300 MB
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Periodic jobs live here, in code. Each entry names a task by its explicit name;
# each app adds its own entries below (the sweepers are idempotent, so running
# one twice or concurrently is harmless).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "kefu-heartbeat": {
        "task": "kefu.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
    # kpi
    # Nightly KPI snapshots of the current and the previous month.
    "kpi-compute-snapshots": {
        "task": "kpi.compute_snapshots",
        "schedule": crontab(hour=2, minute=15),
    },
    # The monthly reporting pack, after the 1st's snapshots; re-runs send nothing
    # twice (one notification key per manager and month).
    # The audit cadence: opens the period's audit of each plan (once).
    "kpi-open-due-audits": {
        "task": "kpi.open_due_audits",
        "schedule": crontab(hour=6, minute=50),
    },
    # 抽样质检: each sampling plan's daily draw into the inspectors' queues
    # (reproducible per plan and date; a re-run draws nothing more).
    "kpi-draw-inspection-samples": {
        "task": "kpi.draw_inspection_samples",
        "schedule": crontab(hour=6, minute=40),
    },
    "kpi-send-monthly-reports": {
        "task": "kpi.send_monthly_reports",
        "schedule": crontab(day_of_month="1", hour=8, minute=30),
    },
    # partners
    "partners-deliver-webhooks": {
        "task": "partners.deliver_webhooks",
        "schedule": 60.0,
    },
    # Webhook retention: held deliveries and the partner event feed.
    "partners-prune-webhook-backlog": {
        "task": "partners.prune_webhook_backlog",
        "schedule": crontab(hour=3, minute=40),
    },
    "partners-purge-idempotency-records": {
        "task": "partners.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
}
# aftersales: the day-before reminders of booked visits (once each)
CELERY_BEAT_SCHEDULE["aftersales-visit-reminders"] = {
    "task": "aftersales.visit_reminders",
    "schedule": crontab(minute="*/15"),
}
# training
CELERY_BEAT_SCHEDULE["training-certification-sweep"] = {
    "task": "training.certification_sweep",
    "schedule": crontab(hour=7, minute=10),
}
# complaints
CELERY_BEAT_SCHEDULE["complaints-sla-sweep"] = {
    "task": "complaints.sla_sweep",
    "schedule": crontab(minute="*"),
}
# Customer mail (Maildir, and IMAP when KEFU_IMAP_URL is set), every minute.
CELERY_BEAT_SCHEDULE["complaints-poll-inbound-email"] = {
    "task": "complaints.poll_inbound_email",
    "schedule": 60.0,
}
# Messages to customers: the outbox sweep (also published after each commit).
CELERY_BEAT_SCHEDULE["complaints-deliver-customer-messages"] = {
    "task": "complaints.deliver_customer_messages",
    "schedule": 60.0,
}
# Resolved complaints the customer never answered close after KEFU_AUTO_CLOSE_DAYS.
CELERY_BEAT_SCHEDULE["complaints-auto-close"] = {
    "task": "complaints.auto_close",
    "schedule": crontab(minute=23),
}
# CAPA due-date reminders and escalations (each once; hourly so a stopped beat
# catches up the same day).
CELERY_BEAT_SCHEDULE["complaints-capa-spike-sweep"] = {
    "task": "complaints.capa_spike_sweep",
    "schedule": crontab(minute="*/10"),
}
CELERY_BEAT_SCHEDULE["complaints-capa-overdue-sweep"] = {
    "task": "complaints.capa_overdue_sweep",
    "schedule": crontab(minute=41),
}
# Knowledge articles past their review date: the owner is notified once per date.
CELERY_BEAT_SCHEDULE["complaints-article-review-reminders"] = {
    "task": "complaints.article_review_reminders",
    "schedule": crontab(hour=8, minute=5),
}

# crm: revisit reminders and notification e-mails (see crm/services/reminders.py).
CELERY_BEAT_SCHEDULE.update(
    {
        "crm.revisit_sweep": {"task": "crm.revisit_sweep", "schedule": 60.0},
        "crm.deliver_notification_emails": {
            "task": "crm.deliver_notification_emails",
            "schedule": 60.0,
        },
        "crm.revisit_plan_by_rules": {
            "task": "crm.revisit_plan_by_rules",
            "schedule": crontab(hour=1, minute=10),
        },
    }
)

# --- REST API ----------------------------------------------------------------
# The shared API layer is config/api/ (below every app). What needs the partners
# app's models is named here by dotted path only: partner keys and the
# Idempotency-Key records (config.api.idempotency calls KEFU_API_IDEMPOTENCY).
REST_FRAMEWORK = {
    # Api-Key first: its WWW-Authenticate makes unauthenticated calls 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "partners.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # DRF's TokenAuthentication plus the per-address count of wrong tokens.
        "config.api.authentication.KefuTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["config.api.filters.KefuFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.KefuAutoSchema",
    # One error shape, cursor pagination, per key/user rate limits.
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.KefuCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.KefuRateThrottle"],
    # Deep nesting, NUL characters and lone surrogates in a body → 400, not 500.
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.KefuJSONParser",
        "config.api.parsers.KefuFormParser",
        "config.api.parsers.KefuMultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kefu API",
    "DESCRIPTION": "Customer-service portal: complaints, customers, revisits, "
    "training records and KPI results for partner tools and staff.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # partners: Swagger UI served from drf-spectacular-sidecar (no CDN needed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "partners.models.WebhookEvent",
        "ApiKeyScopeEnum": "config.api.scopes.Scope",
        "ComplaintStatusEnum": "complaints.models.Complaint.Status",
        "ChannelEnum": "complaints.models.Channel",
        "SeverityEnum": "complaints.models.Severity",
        "RevisitStatusEnum": "crm.models.Revisit.Status",
        "CustomerKindEnum": "crm.models.Customer.Kind",
        "ComplaintEventKindEnum": "complaints.models.ComplaintEvent.Kind",
        "ServiceKindEnum": "aftersales.models.ServiceKind",
        "ServiceOrderStatusEnum": "aftersales.models.ServiceOrder.Status",
        "ServiceOrderEventKindEnum": "aftersales.models.ServiceOrderEvent.Kind",
        "AppointmentStatusEnum": "aftersales.models.Appointment.Status",
    },
}
KEFU_API_IDEMPOTENCY = "partners.api.idempotency.idempotent"
# Requests per API key / staff user / anonymous address (config/api/throttling.py).
KEFU_API_RATE = env.str("KEFU_API_RATE", default="600/min")
KEFU_WEBHOOK_MAX_ATTEMPTS = env.int("KEFU_WEBHOOK_MAX_ATTEMPTS", default=8)
KEFU_WEBHOOK_BACKOFF_SECONDS = env.int("KEFU_WEBHOOK_BACKOFF_SECONDS", default=30)
KEFU_WEBHOOK_DISABLE_AFTER_FAILURES = env.int(
    "KEFU_WEBHOOK_DISABLE_AFTER_FAILURES", default=20
)
KEFU_WEBHOOK_TIMEOUT_SECONDS = env.int("KEFU_WEBHOOK_TIMEOUT_SECONDS", default=10)
KEFU_WEBHOOK_BACKOFF_MAX_SECONDS = 6 * 3600  # the longest wait between two tries
KEFU_WEBHOOK_LEASE_SECONDS = env.int(
    "KEFU_WEBHOOK_LEASE_SECONDS", default=120
)  # a worker's hold on the one delivery it is attempting
KEFU_WEBHOOK_SWEEP_SECONDS = 50  # one sweep's budget (beat runs it every minute)
# Days a disabled endpoint holds its undelivered events (then they are
# cancelled), and days the partner event feed (GET /api/v1/events/) keeps them.
KEFU_WEBHOOK_RETENTION_DAYS = env.int("KEFU_WEBHOOK_RETENTION_DAYS", default=14)
# The event feed lists only events older than this many seconds: ids are taken
# when a transaction inserts, not when it commits, so a younger id may still
# become visible behind a higher one a reader has already passed.
KEFU_EVENTS_SETTLE_SECONDS = env.int("KEFU_EVENTS_SETTLE_SECONDS", default=5)
# partners: webhook URL rules (partners/webhook_http.py). https only and public
# addresses only unless told otherwise (local development, tests, intranet).
KEFU_WEBHOOK_ALLOW_HTTP = env.bool("KEFU_WEBHOOK_ALLOW_HTTP", default=False)
KEFU_WEBHOOK_ALLOW_PRIVATE = env.bool("KEFU_WEBHOOK_ALLOW_PRIVATE", default=False)

# --- Kefu ----------------------------------------------------------------------
# Key for personal data encrypted at rest (phone, e-mail). Production must set it.
KEFU_PII_KEY = env.str("KEFU_PII_KEY", default="")
# crm: previous keys during a rotation (see `manage.py rotate_pii_key`).
KEFU_PII_OLD_KEYS = env.list("KEFU_PII_OLD_KEYS", default=[])
# crm: reminders go out this long before a revisit is due; e-mail leases.
KEFU_REVISIT_REMIND_BEFORE = timedelta(
    minutes=env.int("KEFU_REVISIT_REMIND_BEFORE_MINUTES", default=60)
)
KEFU_NOTIFICATION_LEASE_SECONDS = env.int(
    "KEFU_NOTIFICATION_LEASE_SECONDS", default=300
)
KEFU_NOTIFICATION_MAX_ATTEMPTS = env.int("KEFU_NOTIFICATION_MAX_ATTEMPTS", default=5)
# Absolute links in notification e-mails (e.g. https://kefu.example.cn).
KEFU_BASE_URL = env.str("KEFU_BASE_URL", default="http://localhost:8000")

# complaints: the customer's side (docs/customer-messages.md)
# Survey links (signed, one per resolution cycle) expire after this many days.
KEFU_SURVEY_TTL_DAYS = env.int("KEFU_SURVEY_TTL_DAYS", default=7)
# Resolved complaints neither confirmed nor disputed close after this many days.
KEFU_AUTO_CLOSE_DAYS = env.int("KEFU_AUTO_CLOSE_DAYS", default=7)
# CAPA overdue sweep: the owner is reminded on the due date, the department's
# manager is told this many days after it when the CAPA is still not completed.
KEFU_CAPA_ESCALATE_AFTER_DAYS = env.int("KEFU_CAPA_ESCALATE_AFTER_DAYS", default=1)
# Spike rule: this many complaints of one subcategory (and department) received
# within the window draft one CAPA for the department's manager (0: off).
KEFU_CAPA_SPIKE_THRESHOLD = env.int("KEFU_CAPA_SPIKE_THRESHOLD", default=5)
KEFU_CAPA_SPIKE_WINDOW_HOURS = env.int("KEFU_CAPA_SPIKE_WINDOW_HOURS", default=24)
KEFU_CAPA_SPIKE_DUE_DAYS = env.int("KEFU_CAPA_SPIKE_DUE_DAYS", default=14)
# 分类改进: who hears of a complaint closed with a product cause (a username;
# empty: the department's manager).
KEFU_PRODUCT_OWNER = env.str("KEFU_PRODUCT_OWNER", default="")
# Messages to customers (outbox complaints.CustomerMessage): the backend of SMS
# and WeChat ("console": logged, the default; "file": one JSON file per message
# in KEFU_MESSAGE_FILE_DIR; "http": POSTed to KEFU_SMS_URL / KEFU_WECHAT_URL).
# E-mail goes through Django's mail (EMAIL_URL).
KEFU_MESSAGE_BACKEND = env.str("KEFU_MESSAGE_BACKEND", default="console")
KEFU_MESSAGE_FILE_DIR = env.str("KEFU_MESSAGE_FILE_DIR", default="var/messages")
KEFU_SMS_URL = env.str("KEFU_SMS_URL", default="")
KEFU_WECHAT_URL = env.str("KEFU_WECHAT_URL", default="")
KEFU_MESSAGE_HTTP_TIMEOUT = env.float("KEFU_MESSAGE_HTTP_TIMEOUT", default=10.0)
KEFU_MESSAGE_LEASE_SECONDS = env.int("KEFU_MESSAGE_LEASE_SECONDS", default=60)
KEFU_MESSAGE_MAX_ATTEMPTS = env.int("KEFU_MESSAGE_MAX_ATTEMPTS", default=5)
# The language of messages to customers (zh-hans or en; templates per language).
KEFU_MESSAGE_LANGUAGE = env.str("KEFU_MESSAGE_LANGUAGE", default="zh-hans")
# Standard phrases (complaints.phrases): a reply containing one of these is
# refused (comma-separated; the seeds' examples of blaming language).
KEFU_FORBIDDEN_PHRASES = env.list(
    "KEFU_FORBIDDEN_PHRASES",
    default=["你是不是在找茬", "不归我们管", "这不是我们的问题"],
)
# The solution reply (handling → replied) must contain thanks, the solution and
# the follow-up (complaints.phrases.reply_parts_missing).
KEFU_SOLUTION_REPLY_PARTS = env.bool("KEFU_SOLUTION_REPLY_PARTS", default=True)
# The monthly KPI pack is attached to the managers' e-mail up to this size;
# a larger one is announced with its link only.
KEFU_REPORT_ATTACHMENT_MAX_BYTES = env.int(
    "KEFU_REPORT_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024
)
# No SMS/WeChat from QUIET_START to QUIET_END local time unless urgent.
KEFU_QUIET_HOURS_START = env.int("KEFU_QUIET_HOURS_START", default=21)
KEFU_QUIET_HOURS_END = env.int("KEFU_QUIET_HOURS_END", default=8)
# A customer's e-mail reopens a complaint resolved at most this many days ago.
KEFU_REOPEN_WINDOW_DAYS = env.int("KEFU_REOPEN_WINDOW_DAYS", default=30)
# The public tracking page: tries per client address and window.
KEFU_TRACK_LIMIT = env.int("KEFU_TRACK_LIMIT", default=10)
KEFU_TRACK_WINDOW_SECONDS = env.int("KEFU_TRACK_WINDOW_SECONDS", default=600)
# Inbound e-mail: a Maildir folder (embedded default), IMAP
# (imaps://user:password@imap.example.cn:993/INBOX), and POST /inbound/email/
# signed with KEFU_INBOUND_SECRET (X-Kefu-Signature: sha256=<hex HMAC of the body>;
# empty secret: the endpoint refuses everything).
KEFU_INBOUND_MAILDIR = env.str(
    "KEFU_INBOUND_MAILDIR", default=str(VAR_DIR / "mail" / "inbound")
)
KEFU_IMAP_URL = env.str("KEFU_IMAP_URL", default="")
KEFU_INBOUND_SECRET = env.str("KEFU_INBOUND_SECRET", default="")
# Top-level category code of complaints that arrive by e-mail (staff refine it).
KEFU_INBOUND_CATEGORY = env.str("KEFU_INBOUND_CATEGORY", default="other")
# Team (code) of e-mail complaints no assignment rule routes; empty or unknown:
# the first active team with a supervisor (never left without a team).
KEFU_INBOUND_TEAM = env.str("KEFU_INBOUND_TEAM", default="")
KEFU_INBOUND_MAX_BYTES = env.int("KEFU_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)

# complaints
KEFU_ATTACHMENT_MAX_BYTES = env.int(
    "KEFU_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024
)
KEFU_ATTACHMENT_ALLOWED_TYPES = env.list(
    "KEFU_ATTACHMENT_ALLOWED_TYPES",
    default=[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "audio/mpeg",
        "audio/wav",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
KEFU_COMPENSATION_LIMIT_HANDLER = env.int(
    "KEFU_COMPENSATION_LIMIT_HANDLER", default=500
)
KEFU_COMPENSATION_LIMIT_SUPERVISOR = env.int(
    "KEFU_COMPENSATION_LIMIT_SUPERVISOR", default=5000
)

# training
KEFU_TRAINING_ATTITUDE_THRESHOLD = env.int(
    "KEFU_TRAINING_ATTITUDE_THRESHOLD", default=2
)
KEFU_TRAINING_ATTITUDE_WINDOW_DAYS = env.int(
    "KEFU_TRAINING_ATTITUDE_WINDOW_DAYS", default=90
)
KEFU_TRAINING_CERT_REMINDER_DAYS = env.list(
    "KEFU_TRAINING_CERT_REMINDER_DAYS", cast=int, default=[30]
)
KEFU_TRAINING_PASS_MARK = env.int("KEFU_TRAINING_PASS_MARK", default=60)
KEFU_TRAINING_ASSIGNMENT_DUE_DAYS = 30
KEFU_TRAINING_ETIQUETTE_COURSE = env.str("KEFU_TRAINING_ETIQUETTE_COURSE", default="")
# 分类改进: the course assigned as coaching when a complaint closes with a
# staff-error cause (a course code; empty: the first active service-skills course).
KEFU_TRAINING_COACHING_COURSE = env.str("KEFU_TRAINING_COACHING_COURSE", default="")
KEFU_TRAINING_TOP_PERFORMER_SCORE = 90
KEFU_TRAINING_TOP_PERFORMER_MIN_ASSESSMENTS = 3

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": (
        # The embedded filesystem broker has no host: kombu warns "No hostname
        # was supplied" on every connection. Real brokers keep the warning.
        {"kombu.connection": {"level": "ERROR"}}
        if CELERY_BROKER_URL.startswith("filesystem")
        else {}
    ),
}

# --- Login lockout and failed-credential throttling ----------------------------
# The client's address: REMOTE_ADDR, or behind N trusted proxies (load balancer)
# the N-th address from the right of X-Forwarded-For (config/client_ip.py). The
# client can write the left part of that header, so it is never trusted blindly.
KEFU_TRUSTED_PROXY_COUNT = env.int("KEFU_TRUSTED_PROXY_COUNT", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = KEFU_TRUSTED_PROXY_COUNT
# django-axes locks a username *from one address* after this many failed logins
# (the right password is refused too while locked), for the cool-off time. Keyed on
# username + address: by username alone anyone could lock any colleague out, by
# address alone one call centre behind one NAT address would lock itself out.
# Administrators unlock in the admin (访问尝试 / access attempts: delete the row) or
# with `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
KEFU_LOGIN_FAILURE_LIMIT = env.int("KEFU_LOGIN_FAILURE_LIMIT", default=5)
KEFU_LOGIN_COOLOFF_MINUTES = env.int("KEFU_LOGIN_COOLOFF_MINUTES", default=15)
INSTALLED_APPS += ["config.axes_app.LoginLockoutConfig"]  # django-axes
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = KEFU_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KEFU_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"  # templates/kefu/lockout.html
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Failed API credentials (a wrong Api-Key or Token) per client address: after this
# many in the window, every Api-Key/Token request from that address answers 429
# with Retry-After until the window ends (config/api/throttling.py).
KEFU_API_AUTH_FAILURE_LIMIT = env.int("KEFU_API_AUTH_FAILURE_LIMIT", default=20)
KEFU_API_AUTH_FAILURE_WINDOW_MINUTES = env.int(
    "KEFU_API_AUTH_FAILURE_WINDOW_MINUTES", default=15
)
