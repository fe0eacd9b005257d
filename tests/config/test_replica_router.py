"""The read replica: KPI pages, exports and the reporting pack read from the
``replica`` alias when one is configured; logins, writes and every other page stay
on the primary. Tested with a second alias that mirrors the test database
(config/settings/test.py), as Django's docs describe for primary/replica set-ups."""

import os
import subprocess
import sys

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from config.db_router import ReplicaRouter, reading_from_replica
from kpi.models import KpiResult
from kpi.services import kpi_compute_period
from tests.factories.kpi import inspection, local, month

NOW = local(2026, 12, 5, 9, 0)
BOTH = ["default", "replica"]
# transactional (a mirror is a second connection, which sees committed rows only),
# with the migrations' rows (roles, indicators) restored after each test
REPLICA_DB = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=BOTH
)


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


@pytest.fixture
def replica_on(settings):
    settings.KEFU_READ_REPLICA = "replica"


def test_reads_go_to_the_primary_unless_a_block_asks_for_the_replica(settings):
    router = ReplicaRouter()
    settings.KEFU_READ_REPLICA = "replica"
    assert router.db_for_read(KpiResult) is None  # Django's default: "default"
    with reading_from_replica():
        assert router.db_for_read(KpiResult) == "replica"
        assert router.db_for_write(KpiResult) == DEFAULT_DB_ALIAS
    assert router.db_for_read(KpiResult) is None
    # without a configured replica the block reads from the primary too
    settings.KEFU_READ_REPLICA = None
    with reading_from_replica():
        assert router.db_for_read(KpiResult) is None
    settings.KEFU_READ_REPLICA = "no-such-alias"
    with reading_from_replica():
        assert router.db_for_read(KpiResult) is None


def test_the_replica_is_never_migrated(settings):
    router = ReplicaRouter()
    settings.KEFU_READ_REPLICA = "replica"
    assert router.allow_migrate("replica", "kpi") is False
    assert router.allow_migrate("default", "kpi") is True


@REPLICA_DB
def test_kpi_pages_read_from_the_replica_and_everything_else_from_the_primary(
    client, org, replica_on
):
    inspection(
        inspector=org.qa_inspector_a,
        staff=org.agent_a,
        at=local(2026, 11, 3, 10),
        score=8,
    )
    kpi_compute_period(actor=None, period=month(2026, 11), now=NOW)
    client.force_login(org.manager_a)
    pages = {
        "/kpi/?period=2026-11": "质检平均分",
        f"/kpi/staff/{org.agent_a.pk}/?period=2026-11": org.agent_a.name,
        f"/kpi/drill/qa_score_avg/?period=2026-11&subject=team:{org.team_a.pk}": org.agent_a.name,
        "/kpi/export/?period=2026-11": "qa_score_avg",
    }
    for url, expected in pages.items():
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url
        assert "kpi_kpiresult" in _tables(on_replica), url
        assert "kpi_kpiresult" not in _tables(on_primary), url
        # the session and the user are read from the primary (a fresh login
        # must not wait for replication)
        assert "django_session" in _tables(on_primary), url
        assert "django_session" not in _tables(on_replica), url

    # the reporting pack too
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get(
            f"/kpi/report/?period=2026-11&scope=department:{org.dept_a.pk}"
        )
    assert response.status_code == 200
    assert response.content[:2] == b"PK"  # an XLSX (zip) file
    assert "kpi_kpiresult" in _tables(on_replica)

    # other pages read the primary only
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/admin/complaints/complaint/")
    assert response.status_code == 200
    assert on_replica.captured_queries == []


@REPLICA_DB
def test_recompute_writes_to_the_primary(client, org, replica_on):
    client.force_login(org.manager_a)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.post("/kpi/recompute/", {"period": "2026-11"})
    assert response.status_code == 302
    assert not any(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in on_replica.captured_queries
    )
    assert KpiResult.objects.using("default").exists()


def test_settings_add_the_replica_alias_from_its_url():
    code = (
        "import django; django.setup();"
        "from django.conf import settings as s;"
        "r = s.DATABASES['replica'];"
        "print(r['HOST'], r['PORT'], r['NAME'], s.KEFU_READ_REPLICA, r['TEST'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "postgres://kefu@primary.example:5432/kefu",
        "DATABASE_REPLICA_URL": "postgres://kefu_ro@replica.example:5433/kefu",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=4)
    assert out[:4] == ["replica.example", "5433", "kefu", "replica"]
    assert "'MIRROR': 'default'" in out[4]
    # without the URL there is no replica and the router reads the primary
    env.pop("DATABASE_REPLICA_URL")
    code = "import django; django.setup(); from django.conf import settings as s; print(sorted(s.DATABASES), s.KEFU_READ_REPLICA)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "['default'] None"


def test_production_settings_take_the_replica_and_the_pgbouncer_switch():
    code = (
        "import django; django.setup();"
        "from django.conf import settings as s;"
        "d = s.DATABASES;"
        "print(sorted(d), s.KEFU_READ_REPLICA, d['replica']['HOST'],"
        " d['replica']['CONN_HEALTH_CHECKS'],"
        " [d[a]['DISABLE_SERVER_SIDE_CURSORS'] for a in sorted(d)])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "prod-" + "k3y!" * 16,
            "KEFU_PII_KEY": "prod-pii-" + "x" * 32,
            "ALLOWED_HOSTS": "kefu.example.cn",
            "DATABASE_URL": "postgres://kefu@pgbouncer.example:6432/kefu",
            "DATABASE_REPLICA_URL": "postgres://kefu_ro@replica.example:6432/kefu",
            "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "['default', 'replica'] replica replica.example True [True, True]"
