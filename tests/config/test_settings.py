"""Settings load in every mode; production passes check --deploy; migrations are clean."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "prod-" + "k3y!" * 16,
    "KEFU_PII_KEY": "prod-pii-" + "x" * 32,
    "ALLOWED_HOSTS": "kefu.example.cn",
    "DATABASE_URL": "postgres://kefu@127.0.0.1:5432/kefu",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "module", ["config.settings.local", "config.settings.test", "config.settings.base"]
)
def test_settings_module_loads(module):
    result = _manage("check", env_extra={"DJANGO_SETTINGS_MODULE": module})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    env.pop("SECRET_KEY")
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_defaults_are_embedded_sqlite_and_filesystem_broker():
    code = (
        "import django,os;django.setup();from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);print(s.CELERY_BROKER_URL);"
        "print(s.TIME_ZONE, s.USE_TZ, s.LANGUAGE_CODE)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "Asia/Shanghai True zh-hans",
    ]


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_postgres_sessions_start_without_jit():
    """JIT compilation cost 10× the work of the training-record query
    (config/settings/base.py: postgres_session_options)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_session_options_in_the_url_win_and_the_variable_can_clear_them():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(repr(s.DATABASES['default'].get('OPTIONS', {}).get('options')))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    cases = {
        "postgres://kefu@db:5432/kefu": "'-c jit=off'",
        "postgres://kefu@db:5432/kefu?options=-c%20work_mem%3D64MB": "'-c work_mem=64MB'",
        "sqlite:////tmp/kefu.sqlite3": "None",
    }
    for url, expected in cases.items():
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == expected, url
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **base,
            "DATABASE_URL": "postgres://kefu@db/kefu",
            "DATABASE_PG_OPTIONS": "",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "None"


@pytest.mark.parametrize(
    ("broker", "quiet"), [("filesystem://", True), ("redis://127.0.0.1:6379/0", False)]
)
def test_kombu_hostname_warning_is_quiet_only_for_the_embedded_broker(broker, quiet):
    """The embedded broker has no host: kombu's "No hostname was supplied"
    warning said nothing to a newcomer; a real broker's config keeps it."""
    code = (
        "import django,logging;django.setup();"
        "print(logging.getLogger('kombu.connection').isEnabledFor(logging.WARNING))"
    )
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", CELERY_BROKER_URL=broker)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(not quiet)
