"""Shared fixtures. Factories live in ``tests.factories``."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache

from tests.factories import DepartmentFactory, TeamFactory, UserFactory

# pytest-django's django_db marker, positionally: transaction, reset_sequences,
# databases, serialized_rollback, available_apps.
_DJANGO_DB_ARGS = (
    "transaction",
    "reset_sequences",
    "databases",
    "serialized_rollback",
    "available_apps",
)


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrations' rows afterwards
    (``serialized_rollback``), not only the ones that asked.

    A transactional test's database is flushed when it ends. Without
    ``serialized_rollback`` the flush is followed by ``post_migrate``, which
    recreates the content types and permissions under new ids; a later test
    with ``serialized_rollback`` on the same xdist worker then reloads the
    serialized rows under their old ids and fails on the natural-key unique
    constraint (seen: ``django_content_type (admin, logentry) already exists``).
    With every transactional test serialized, each flush leaves the tables empty
    and each test starts from the migrations' rows.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            continue
        kwargs = dict(zip(_DJANGO_DB_ARGS, marker.args, strict=False))
        kwargs.update(marker.kwargs)
        if kwargs.get("transaction") and not kwargs.get("serialized_rollback"):
            kwargs["serialized_rollback"] = True
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: rate-limit and failed-credential
    counters (config.api.throttling) must not leak from one test to the next."""
    cache.clear()
    yield


@pytest.fixture
def org(db):
    """Two departments with one team each, and one staff member per role.

    ``org.<role>_a`` works in department A / team A, ``org.<role>_b`` in B.
    """

    class Org:
        pass

    o = Org()
    o.dept_a = DepartmentFactory(code="dept-a", name="华东")
    o.dept_b = DepartmentFactory(code="dept-b", name="华南")
    o.team_a = TeamFactory(code="team-a", department=o.dept_a)
    o.team_b = TeamFactory(code="team-b", department=o.dept_b)
    for suffix, team in (("a", o.team_a), ("b", o.team_b)):
        for role in (
            "manager",
            "supervisor",
            "agent",
            "complaint_handler",
            "account_manager",
            "relations_specialist",
            "qa_inspector",
            "trainer",
            "technician",
        ):
            user = UserFactory(username=f"{role}_{suffix}", team=team, roles=[role])
            setattr(o, f"{role}_{suffix}", user)
    o.team_a.supervisor = o.supervisor_a
    o.team_a.save(update_fields=["supervisor"])
    o.team_b.supervisor = o.supervisor_b
    o.team_b.save(update_fields=["supervisor"])
    o.admin = UserFactory(username="admin_x", roles=["admin"])
    return o


@dataclass(frozen=True)
class DayEdge:
    """A moment to run a date-sensitive test at, and the local (Asia/Shanghai)
    date it falls on, written out rather than computed by the code under test."""

    name: str
    utc: datetime
    local_date: date


# Business dates are local. From 16:00 to 24:00 UTC (00:00-08:00 in Shanghai) the
# UTC date is the day before the local one: code that takes ``now().date()`` or
# UTC midnights is a day off exactly then, and at a month or year end it is in
# the wrong period.
DAY_EDGES = (
    DayEdge("cst-midday", datetime(2026, 6, 16, 4, 0, tzinfo=UTC), date(2026, 6, 16)),
    DayEdge("utc-2330", datetime(2026, 6, 15, 23, 30, tzinfo=UTC), date(2026, 6, 16)),
    DayEdge(
        "utc-2330-new-year",
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        date(2027, 1, 1),
    ),
)


@pytest.fixture(params=DAY_EDGES, ids=[edge.name for edge in DAY_EDGES])
def local_day_edge(request):
    """Run the test at local midday and at 23:30 UTC = 07:30 the next day in
    Shanghai (once across a year end); the clock keeps ticking from there.

    Use ``@pytest.mark.usefixtures("local_day_edge")`` (it then starts before the
    test's other fixtures) or take ``local_day_edge`` as an argument for the
    expected local date.
    """
    edge = request.param
    with time_machine.travel(edge.utc, tick=True):
        yield edge


# --- webhooks: no real DNS in tests, and local receivers only when allowed ---

PUBLIC_TEST_ADDRESS = "93.184.216.34"  # a public address; tests never connect to it


class FakeDNS:
    """``socket.getaddrinfo`` for webhook tests: names from a table (change an
    entry to simulate DNS rebinding), IP literals as they are, every other name
    unknown. Nothing is looked up on the network; ``lookups`` records names."""

    def __init__(self, real):
        self._real = real
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def add(self, name: str, *addresses: str) -> None:
        self.names[name] = list(addresses)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        import socket

        self.lookups.append(host)
        numeric = flags | socket.AI_NUMERICHOST
        if host in self.names:
            return [
                entry
                for address in self.names[host]
                for entry in self._real(address, port, family, type, proto, numeric)
            ]
        try:
            return self._real(host, port, family, type, proto, numeric)
        except socket.gaierror:
            raise socket.gaierror(
                socket.EAI_NONAME, "Name or service not known"
            ) from None


@pytest.fixture
def fake_dns(monkeypatch):
    """Replace DNS with a table: ``fake_dns.add("hooks.example.cn", "1.2.3.4")``."""
    import socket

    dns = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    return dns


@pytest.fixture
def local_webhooks(settings):
    """Let webhooks reach a test receiver on http://127.0.0.1 (both switches
    are off by default, so every other test runs under the production rules)."""
    settings.KEFU_WEBHOOK_ALLOW_HTTP = True
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = True
    return settings
