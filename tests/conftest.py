"""Shared fixtures. Factories live in ``tests.factories``."""

import pytest
from django.core.cache import cache

from tests.factories import DepartmentFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: rate-limit and failed-credential
    counters (partners.api.throttling) must not leak from one test to the next."""
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
        ):
            user = UserFactory(username=f"{role}_{suffix}", team=team, roles=[role])
            setattr(o, f"{role}_{suffix}", user)
    o.team_a.supervisor = o.supervisor_a
    o.team_a.save(update_fields=["supervisor"])
    o.team_b.supervisor = o.supervisor_b
    o.team_b.save(update_fields=["supervisor"])
    o.admin = UserFactory(username="admin_x", roles=["admin"])
    return o
