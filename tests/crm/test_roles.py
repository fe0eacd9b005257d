"""Roles of DESIGN §2 exist as groups with the permissions declared in crm.roles."""

import pytest
from django.contrib.auth.models import Group, Permission

from crm.roles import ADMIN_APPS, ROLE_PERMISSIONS, Role, sync_role_groups

pytestmark = pytest.mark.django_db


def _codes(group_name):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group_name).permissions.select_related(
            "content_type"
        )
    }


def test_every_role_of_the_design_is_a_group():
    # Given a migrated database, then exactly the eleven roles exist as groups
    # (the after-sales engineer of issue 17 included).
    names = set(Group.objects.values_list("name", flat=True))
    assert names == {
        "admin",
        "manager",
        "supervisor",
        "agent",
        "complaint_handler",
        "account_manager",
        "relations_specialist",
        "qa_inspector",
        "trainer",
        "technician",
        "partner",
    }


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_group_permissions_match_the_declared_table(role):
    existing = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    declared = {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, actions in ROLE_PERMISSIONS[role].items()
        for action in actions
    }
    assert _codes(role) == declared & existing
    assert _codes(role), f"{role} has no permission at all"


def test_admin_has_every_permission_of_the_project_apps():
    expected = set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
        .select_related("content_type")
        .values_list("content_type__app_label", "codename")
    )
    assert _codes("admin") == {f"{a}.{c}" for a, c in expected}


@pytest.mark.parametrize(
    ("role", "perm", "allowed"),
    [
        ("manager", "crm.change_team", True),
        ("supervisor", "crm.change_team", False),
        ("agent", "crm.add_customer", True),
        ("agent", "crm.delete_customer", False),
        ("account_manager", "crm.change_customer", True),
        ("relations_specialist", "crm.change_customer", False),
        ("qa_inspector", "crm.view_customer", True),
        ("qa_inspector", "crm.change_customer", False),
        ("trainer", "crm.view_customer", False),
        ("trainer", "crm.view_user", True),
        ("partner", "crm.add_customer", True),
        ("partner", "crm.view_user", False),
    ],
)
def test_role_permission_examples(role, perm, allowed):
    assert (perm in _codes(role)) is allowed


def test_sync_is_idempotent():
    before = {g.name: _codes(g.name) for g in Group.objects.all()}
    sync_role_groups(Group, Permission)
    sync_role_groups(Group, Permission)
    assert {g.name: _codes(g.name) for g in Group.objects.all()} == before
    assert Group.objects.count() == len(Role)
