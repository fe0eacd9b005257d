"""Staff account management (issue 11): nobody raises themselves or takes over an
account above their reach, neither through the service nor through the admin.

Reach, as declared in ``crm.services.users``: a superuser manages everyone; the
admin role manages every account ranked below admin; a manager manages the
supervisors and specialist roles of their own department; nobody else manages
anyone; nobody but a superuser manages their own account, and nobody changes their
own roles.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from config.errors import DomainError, InvalidInput, NotPermitted
from crm.models import User
from crm.roles import ROLE_RANK, Role, role_rank
from crm.services import user_create, user_set_password, user_update
from crm.services.users import (
    user_can_manage,
    user_grantable_groups,
    users_manageable_by,
)
from tests.factories.crm import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qy7-lantern-Orbit"
OLD_PASSWORD = "pw-for-tests"  # UserFactory's


@pytest.fixture
def people(org):
    """``org`` plus a superuser and a second admin-role account."""
    org.root = UserFactory(username="root", is_superuser=True)
    org.admin2 = UserFactory(username="admin_y", roles=["admin"])
    return org


def _snapshot(user: User) -> dict:
    user = User.objects.get(pk=user.pk)
    return {
        "name": user.name,
        "password": user.password,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "department": user.department_id,
        "team": user.team_id,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "perms": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


# --- the rank order -----------------------------------------------------------------


def test_roles_rank_admin_over_manager_over_supervisor_over_the_rest():
    assert (
        ROLE_RANK[Role.ADMIN]
        > ROLE_RANK[Role.MANAGER]
        > ROLE_RANK[Role.SUPERVISOR]
        > ROLE_RANK[Role.AGENT]
    )
    specialists = (
        Role.AGENT,
        Role.COMPLAINT_HANDLER,
        Role.ACCOUNT_MANAGER,
        Role.RELATIONS_SPECIALIST,
        Role.QA_INSPECTOR,
        Role.TRAINER,
        Role.TECHNICIAN,
    )
    assert {ROLE_RANK[r] for r in specialists} == {0}
    assert Role.PARTNER not in ROLE_RANK  # not a staff login: no rank to grant
    assert role_rank(["agent", "manager"]) == ROLE_RANK[Role.MANAGER]
    assert role_rank([]) == 0


# --- the service, table-driven: actor x target x field -------------------------------

ACTORS = (
    "root",
    "admin",
    "manager_a",
    "supervisor_a",
    "agent_a",
    "qa_inspector_a",
    "trainer_a",
)
TARGETS = (
    "agent_a",
    "complaint_handler_a",
    "account_manager_a",
    "relations_specialist_a",
    "qa_inspector_a",
    "trainer_a",
    "technician_a",
    "supervisor_a",
    "manager_a",
    "agent_b",
    "supervisor_b",
    "manager_b",
    "admin",
    "admin2",
    "root",
)
DEPT_A_BELOW_MANAGER = {
    "agent_a",
    "complaint_handler_a",
    "account_manager_a",
    "relations_specialist_a",
    "qa_inspector_a",
    "trainer_a",
    "technician_a",
    "supervisor_a",
}
# Whose account each actor may manage (change, set the password of).
REACH = {
    "root": set(TARGETS),  # their own included
    "admin": DEPT_A_BELOW_MANAGER
    | {"manager_a", "agent_b", "supervisor_b", "manager_b"},
    "manager_a": DEPT_A_BELOW_MANAGER,
    "supervisor_a": set(),  # view only
    "agent_a": set(),
    "qa_inspector_a": set(),
    "trainer_a": set(),
}
ROLE_FIELD_CHANGES = ("is_active", "groups")  # within reach, not on oneself
SUPERUSER_ONLY_CHANGES = ("is_superuser", "is_staff", "user_permissions")


def _attempt(field, actor, target):
    if field == "password":
        return user_set_password(actor=actor, user=target, password=NEW_PASSWORD)
    values = {
        "name": "改过的名字",
        "is_active": False,
        "is_superuser": not target.is_superuser,
        "is_staff": False,
        "user_permissions": [
            Permission.objects.get(
                codename="delete_user", content_type__app_label="crm"
            )
        ],
        "groups": [  # one specialist role more
            *target.groups.all(),
            Group.objects.exclude(name__in=[g.name for g in target.groups.all()])
            .filter(name__in=[Role.TRAINER, Role.QA_INSPECTOR])
            .first(),
        ],
    }
    return user_update(actor=actor, user=target, **{field: values[field]})


def _expected(field, actor_name, target_name) -> bool:
    if target_name not in REACH[actor_name]:
        return False
    if field in ("name", "password"):
        return True
    if actor_name == target_name:
        return False  # nobody changes their own roles, superusers included
    if field in SUPERUSER_ONLY_CHANGES:
        return actor_name == "root"
    return field in ROLE_FIELD_CHANGES


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize(
    "field",
    ["name", "password", *ROLE_FIELD_CHANGES, *SUPERUSER_ONLY_CHANGES],
)
def test_who_may_change_what_on_whose_account(people, actor_name, field):
    actor = getattr(people, actor_name)
    for target_name in TARGETS:
        target = User.objects.get(pk=getattr(people, target_name).pk)
        before = _snapshot(target)
        allowed = _expected(field, actor_name, target_name)
        assert user_can_manage(actor=actor, user=target) is (
            target_name in REACH[actor_name]
        ), (actor_name, target_name)
        if allowed:
            _attempt(field, actor, target)
            assert _snapshot(target) != before, (actor_name, target_name, field)
        else:
            with pytest.raises(NotPermitted):
                _attempt(field, actor, target)
            assert _snapshot(target) == before, (actor_name, target_name, field)


@pytest.mark.parametrize("actor_name", ACTORS)
def test_the_reach_as_a_query_agrees_with_the_table(people, actor_name):
    actor = getattr(people, actor_name)
    by_pk = {getattr(people, name).pk: name for name in TARGETS}
    reached = {
        by_pk[pk]
        for pk in users_manageable_by(actor=actor).values_list("pk", flat=True)
        if pk in by_pk
    }
    if actor_name == "root":
        assert users_manageable_by(actor=actor).count() == User.objects.count()
    assert reached == REACH[actor_name]


@pytest.mark.parametrize(
    ("actor_name", "grantable"),
    [
        ("root", {r.value for r in Role}),
        (
            "admin",
            {r.value for r in Role} - {Role.ADMIN, Role.PARTNER},
        ),
        (
            "manager_a",
            {
                Role.SUPERVISOR,
                Role.AGENT,
                Role.COMPLAINT_HANDLER,
                Role.ACCOUNT_MANAGER,
                Role.RELATIONS_SPECIALIST,
                Role.QA_INSPECTOR,
                Role.TRAINER,
                Role.TECHNICIAN,
            },
        ),
        ("supervisor_a", set()),
        ("agent_a", set()),
    ],
)
def test_roles_are_granted_only_below_ones_own(people, actor_name, grantable):
    actor = getattr(people, actor_name)
    offered = set(user_grantable_groups(actor=actor).values_list("name", flat=True))
    assert offered == grantable
    for role in Role:
        target = UserFactory(team=people.team_a, roles=["agent"])
        group = Group.objects.get(name=role)
        if role in grantable:
            user_update(actor=actor, user=target, groups=[group])
            assert list(target.groups.values_list("name", flat=True)) == [role]
        else:
            with pytest.raises(NotPermitted):
                user_update(actor=actor, user=target, groups=[group])
            assert list(target.groups.values_list("name", flat=True)) == ["agent"]


def test_an_account_with_direct_permissions_or_a_custom_group_is_superuser_only(
    people,
):
    with_perm = UserFactory(team=people.team_a, roles=["agent"])
    with_perm.user_permissions.add(Permission.objects.get(codename="delete_user"))
    custom = UserFactory(team=people.team_a, roles=["agent"])
    custom.groups.add(Group.objects.create(name="auditors"))
    partner_group = UserFactory(team=people.team_a, roles=["partner"])
    for target in (with_perm, custom, partner_group):
        for actor in (people.manager_a, people.admin):
            assert not user_can_manage(actor=actor, user=target)
            with pytest.raises(NotPermitted):
                user_set_password(actor=actor, user=target, password=NEW_PASSWORD)
        assert user_can_manage(actor=people.root, user=target)


def test_a_manager_places_staff_only_in_their_own_department(people):
    agent = people.agent_a
    for changes in (
        {"department": people.dept_b, "team": None},
        {"department": None, "team": None},
        {"supervisor": people.manager_b},
    ):
        with pytest.raises(NotPermitted):
            user_update(actor=people.manager_a, user=agent, **changes)
    with pytest.raises(InvalidInput):  # a team of B in department A
        user_update(actor=people.manager_a, user=agent, team=people.team_b)
    assert _snapshot(agent)["department"] == people.dept_a.pk
    assert _snapshot(agent)["team"] == people.team_a.pk
    # The admin role places anyone anywhere, consistently.
    user_update(
        actor=people.admin,
        user=agent,
        department=people.dept_b,
        team=people.team_b,
        supervisor=people.supervisor_b,
    )
    agent.refresh_from_db()
    assert (agent.department, agent.team) == (people.dept_b, people.team_b)


def test_an_unchanged_value_is_no_change(people):
    # Sending the stored superuser flag back is not an attempt to change it.
    user_update(actor=people.manager_a, user=people.agent_a, is_superuser=False)
    assert _snapshot(people.agent_a)["is_superuser"] is False


def test_a_manager_creates_a_staff_login_in_their_own_department(people):
    user = user_create(
        actor=people.manager_a,
        username="new_agent",
        password=NEW_PASSWORD,
        name="新员工",
        groups=[Group.objects.get(name="agent")],
    )
    user.refresh_from_db()
    assert user.department == people.dept_a and user.is_staff and user.is_active
    assert not user.is_superuser and user.check_password(NEW_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["agent"]
    assert user_can_manage(actor=people.manager_a, user=user)


@pytest.mark.parametrize(
    "extra",
    [
        {"groups": ["manager"]},
        {"groups": ["admin"]},
        {"is_superuser": True},
        {"is_staff": True},
        {"department": "dept_b"},
        {"user_permissions": ["delete_user"]},
    ],
)
def test_a_manager_cannot_create_an_account_above_their_reach(people, extra):
    resolve = {
        "groups": lambda names: list(Group.objects.filter(name__in=names)),
        "user_permissions": lambda codes: list(
            Permission.objects.filter(codename__in=codes)
        ),
        "department": lambda name: getattr(people, name),
    }
    extra = {k: resolve.get(k, lambda v: v)(v) for k, v in extra.items()}
    with pytest.raises(NotPermitted):
        user_create(
            actor=people.manager_a, username="climber", password=NEW_PASSWORD, **extra
        )
    assert not User.objects.filter(username="climber").exists()


@pytest.mark.parametrize("actor_name", ["supervisor_a", "agent_a", "trainer_a"])
def test_only_managers_admins_and_superusers_add_accounts(people, actor_name):
    with pytest.raises(NotPermitted):
        user_create(
            actor=getattr(people, actor_name),
            username="nobody",
            password=NEW_PASSWORD,
            department=people.dept_a,
        )
    assert not User.objects.filter(username="nobody").exists()


def test_a_weak_password_is_refused_and_nothing_is_saved(people):
    before = _snapshot(people.agent_a)
    with pytest.raises(InvalidInput):
        user_set_password(actor=people.manager_a, user=people.agent_a, password="123")
    assert _snapshot(people.agent_a) == before


def test_a_superuser_creates_an_administrator(people):
    user = user_create(
        actor=people.root,
        username="boss",
        password=NEW_PASSWORD,
        is_superuser=True,
        groups=[Group.objects.get(name="admin")],
    )
    assert user.is_superuser and user.is_staff


# --- the admin: the attacks of the report, and the paths that must still work -------


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _change_url(user):
    return reverse("admin:crm_user_change", args=[user.pk])


def _password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _form_post(user, **overrides):
    """What the change form of ``user`` posts, as a manager sees it."""
    user = User.objects.get(pk=user.pk)
    data = {
        "username": user.username,
        "employee_no": user.employee_no or "",
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "department": user.department_id or "",
        "team": user.team_id or "",
        "supervisor": user.supervisor_id or "",
        "hired_on": "",
        "is_active": "on" if user.is_active else "",
        "groups": [g.pk for g in user.groups.all()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _refused_form(response, text: str) -> None:
    """The form came back (200) with the service's refusal as a message and as
    an error of the form (nothing was saved: the callers check the rows)."""
    assert response.status_code == 200
    assert any(text in m for m in _messages(response)), _messages(response)
    form = response.context["adminform"].form
    assert any(text in e for e in form.non_field_errors()), form.errors


def test_a_manager_cannot_make_themselves_superuser(people, as_user):
    # The report: manager02 POSTs is_superuser=on on their own change page.
    manager = people.manager_a
    before = _snapshot(manager)
    client = as_user(manager)
    response = client.post(
        _change_url(manager),
        _form_post(manager, is_superuser="on", is_staff="on"),
    )
    assert response.status_code == 302
    assert response.url == _change_url(manager)
    assert _snapshot(manager) == before
    assert any("自己的账号" in m for m in _messages(response)), _messages(response)
    # The page itself is read-only for them.
    page = client.get(_change_url(manager))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="is_superuser"' not in page.content.decode()


def test_a_manager_cannot_set_the_password_of_an_admin_or_a_superuser(people, as_user):
    # The report: manager01 takes over the admin account through /password/.
    people.admin.department = people.dept_a  # in the manager's scope, even so
    people.admin.save(update_fields=["department"])
    people.root.department = people.dept_a
    people.root.save(update_fields=["department"])
    client = as_user(people.manager_a)
    for victim, text in ((people.admin, "同级或高于"), (people.root, "超级用户")):
        before = _snapshot(victim)
        assert client.get(_password_url(victim)).status_code == 302
        response = client.post(
            _password_url(victim),
            {
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "usable_password": "true",
            },
        )
        assert response.status_code == 302
        assert response.url == _change_url(victim)
        assert any(text in m for m in _messages(response)), _messages(response)
        assert _snapshot(victim) == before
        victim.refresh_from_db()
        assert victim.check_password(OLD_PASSWORD)


def test_a_manager_cannot_set_the_password_of_another_manager_or_themselves(
    people, as_user
):
    peer = UserFactory(username="manager_a2", team=people.team_a, roles=["manager"])
    client = as_user(people.manager_a)
    for victim in (peer, people.manager_a):
        client.post(
            _password_url(victim),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        victim.refresh_from_db()
        assert victim.check_password(OLD_PASSWORD)


def test_a_manager_cannot_add_a_user_into_the_admin_group(people, as_user):
    client = as_user(people.manager_a)
    admin_group = Group.objects.get(name="admin")
    response = client.post(
        reverse("admin:crm_user_add"),
        {
            "username": "mole",
            "name": "内鬼",
            "department": people.dept_a.pk,
            "groups": [admin_group.pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="mole").exists()
    # Forging the superuser flag on the add page is refused whole, with a message.
    response = client.post(
        reverse("admin:crm_user_add"),
        {
            "username": "mole",
            "department": people.dept_a.pk,
            "is_superuser": "on",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    _refused_form(response, "您无权修改")
    assert not User.objects.filter(username="mole").exists()


def test_a_manager_cannot_edit_staff_of_another_department(people, as_user):
    client = as_user(people.manager_a)
    before = _snapshot(people.agent_b)
    response = client.post(
        _change_url(people.agent_b), _form_post(people.agent_b, name="被改了")
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:index")  # "does not exist" for them
    assert _snapshot(people.agent_b) == before
    response = client.post(
        _password_url(people.agent_b),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 404
    assert _snapshot(people.agent_b) == before


def test_a_forged_roles_post_is_refused_and_nothing_is_saved(people, as_user):
    agent = people.agent_a
    client = as_user(people.manager_a)
    before = _snapshot(agent)
    # A group outside the offered choices: the form refuses it.
    manager_group = Group.objects.get(name="manager")
    response = client.post(
        _change_url(agent), _form_post(agent, name="新名字", groups=[manager_group.pk])
    )
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert _snapshot(agent) == before
    # Fields the form does not offer: the whole POST is refused, with a message.
    for forged in ({"is_superuser": "on"}, {"is_staff": ""}, {"user_permissions": 1}):
        response = client.post(
            _change_url(agent), {**_form_post(agent, name="新名字"), **forged}
        )
        _refused_form(response, "您无权修改")
        assert _snapshot(agent) == before
    # A team of another department: not a valid choice either.
    response = client.post(_change_url(agent), _form_post(agent, team=people.team_b.pk))
    assert "team" in response.context["adminform"].form.errors
    assert _snapshot(agent) == before


def test_a_manager_sees_only_the_fields_and_roles_they_may_change(people, as_user):
    client = as_user(people.manager_a)
    page = client.get(_change_url(people.agent_a))
    form = page.context["adminform"].form
    assert {"is_superuser", "is_staff", "user_permissions"}.isdisjoint(form.fields)
    assert {"name", "groups", "is_active", "team"} <= set(form.fields)
    offered = {g.name for g in form.fields["groups"].queryset}
    assert offered == REACH_ROLES_OF_MANAGER
    assert set(form.fields["department"].queryset) == {people.dept_a}
    # Superuser and staff status are shown, read-only.
    assert {"is_superuser", "is_staff"} <= set(
        page.context["adminform"].readonly_fields
    )


REACH_ROLES_OF_MANAGER = {
    "supervisor",
    "agent",
    "complaint_handler",
    "account_manager",
    "relations_specialist",
    "qa_inspector",
    "trainer",
    "technician",
}


def test_a_manager_still_lists_their_department(people, as_user):
    response = as_user(people.manager_a).get(reverse("admin:crm_user_changelist"))
    names = {u.username for u in response.context["cl"].result_list}
    assert names == DEPT_A_BELOW_MANAGER | {"manager_a"}


def test_a_supervisor_cannot_change_or_reset_anyone(people, as_user):
    client = as_user(people.supervisor_a)
    agent = people.agent_a
    before = _snapshot(agent)
    page = client.get(_change_url(agent))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    client.post(_change_url(agent), _form_post(agent, name="x", is_superuser="on"))
    client.post(
        _password_url(agent), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    client.post(
        _change_url(people.supervisor_a),
        _form_post(people.supervisor_a, is_superuser="on"),
    )
    assert _snapshot(agent) == before
    assert not User.objects.get(pk=people.supervisor_a.pk).is_superuser
    assert client.get(reverse("admin:crm_user_add")).status_code == 403


def test_a_manager_changes_an_agent_of_their_department(people, as_user):
    agent = people.agent_a
    client = as_user(people.manager_a)
    handler = Group.objects.get(name="complaint_handler")
    response = client.post(
        _change_url(agent),
        _form_post(
            agent,
            name="王小明",
            groups=[*agent.groups.values_list("pk", flat=True), handler.pk],
            is_active="",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.name == "王小明" and not agent.is_active
    assert set(agent.groups.values_list("name", flat=True)) == {
        "agent",
        "complaint_handler",
    }
    assert not agent.is_superuser and agent.is_staff


def test_a_manager_sets_the_password_of_an_agent_of_their_department(people, as_user):
    client = as_user(people.manager_a)
    assert client.get(_password_url(people.agent_a)).status_code == 200
    response = client.post(
        _password_url(people.agent_a),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == _change_url(people.agent_a)
    people.agent_a.refresh_from_db()
    assert people.agent_a.check_password(NEW_PASSWORD)


def test_a_manager_adds_an_agent_to_their_department(people, as_user):
    client = as_user(people.manager_a)
    page = client.get(reverse("admin:crm_user_add"))
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    response = client.post(
        reverse("admin:crm_user_add"),
        {
            "username": "xiaoli",
            "employee_no": "A0099",
            "name": "小李",
            "department": people.dept_a.pk,
            "team": people.team_a.pk,
            "groups": [Group.objects.get(name="agent").pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="xiaoli")
    assert user.department == people.dept_a and user.team == people.team_a
    assert user.is_staff and not user.is_superuser
    assert user.check_password(NEW_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["agent"]


def test_a_superuser_can_do_everything(people, as_user):
    client = as_user(people.root)
    manager = people.manager_a
    response = client.post(
        _change_url(manager),
        _form_post(
            manager,
            is_superuser="on",
            is_staff="on",
            groups=[Group.objects.get(name="admin").pk],
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    manager.refresh_from_db()
    assert manager.is_superuser
    assert list(manager.groups.values_list("name", flat=True)) == ["admin"]
    response = client.post(
        _password_url(people.admin),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    people.admin.refresh_from_db()
    assert people.admin.check_password(NEW_PASSWORD)
    response = client.post(
        reverse("admin:crm_user_add"),
        {
            "username": "chief",
            "groups": [Group.objects.get(name="admin").pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="chief").groups.get().name == "admin"


def test_a_superuser_cannot_demote_themselves_by_accident(people, as_user):
    client = as_user(people.root)
    page = client.get(_change_url(people.root))
    form = page.context["adminform"].form
    assert {"is_superuser", "is_active", "groups"}.isdisjoint(form.fields)
    before = _snapshot(people.root)
    response = client.post(
        _change_url(people.root),
        {**_form_post(people.root, name="根"), "is_active": ""},
    )
    _refused_form(response, "您无权修改")
    assert _snapshot(people.root) == before
    # Their own details they may change.
    details = _form_post(people.root, name="根")
    del details["is_active"], details["groups"]
    assert client.post(_change_url(people.root), details).status_code == 302
    people.root.refresh_from_db()
    assert people.root.name == "根" and people.root.is_superuser


def test_the_admin_role_cannot_raise_itself_nor_take_over_a_superuser(people, as_user):
    client = as_user(people.admin)
    before = _snapshot(people.root)
    client.post(
        _password_url(people.root),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert _snapshot(people.root) == before
    client.post(_change_url(people.admin), _form_post(people.admin, is_superuser="on"))
    assert not User.objects.get(pk=people.admin.pk).is_superuser
    # Deleting a superuser is as far out of reach as changing one.
    response = client.post(
        reverse("admin:crm_user_delete", args=[people.root.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=people.root.pk).exists()
    # A manager below them they do manage.
    response = client.post(
        _password_url(people.manager_b),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    people.manager_b.refresh_from_db()
    assert people.manager_b.check_password(NEW_PASSWORD)


def test_a_service_refusal_during_save_shows_a_message_and_saves_nothing(
    people, as_user, monkeypatch
):
    # E.g. the account's roles changed between the page's checks and the save.
    from crm.services import users

    def refuse(**kwargs):
        raise NotPermitted("拒绝")

    monkeypatch.setattr(users, "user_update", refuse)
    before = _snapshot(people.agent_a)
    response = as_user(people.manager_a).post(
        _change_url(people.agent_a), _form_post(people.agent_a, name="新")
    )
    _refused_form(response, "拒绝")
    assert _snapshot(people.agent_a) == before
    assert issubclass(NotPermitted, DomainError)


def test_the_admin_role_cannot_mint_an_api_token_for_a_superuser(people, as_user):
    from rest_framework.authtoken.models import Token

    client = as_user(people.admin)
    url = reverse("admin:authtoken_tokenproxy_add")
    page = client.get(url)
    offered = set(page.context["adminform"].form.fields["user"].queryset)
    assert people.root not in offered and people.admin2 not in offered
    assert {people.admin, people.manager_b} <= offered
    response = client.post(url, {"user": people.root.pk})
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not Token.objects.filter(user=people.root).exists()
    # Tokens of others above them are not even listed.
    Token.objects.create(user=people.root)
    listed = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    assert [t.user for t in listed.context["cl"].result_list] == []
    client.post(url, {"user": people.manager_b.pk})
    assert Token.objects.filter(user=people.manager_b).exists()
