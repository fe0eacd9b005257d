"""crm.scoping decides which rows each role sees (two departments, two teams)."""

import pytest

from crm import scoping
from crm.models import Customer, Team, User
from tests.factories import CustomerFactory, PartnerFactory, UserFactory


@pytest.fixture
def customers(org):
    """Customers owned by the account manager of each side, plus unowned ones."""
    return {
        "own_a": CustomerFactory(owner=org.account_manager_a),
        "loose_a": CustomerFactory(department=org.dept_a),
        "own_b": CustomerFactory(owner=org.account_manager_b),
        "loose_b": CustomerFactory(department=org.dept_b),
    }


def _visible(user, model, objs):
    names = {obj.pk: name for name, obj in objs.items()}
    rows = scoping.visible_to(user, model.objects.all()).values_list("pk", flat=True)
    return {names[pk] for pk in rows if pk in names}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", {"own_a", "loose_a", "own_b", "loose_b"}),
        ("manager_a", {"own_a", "loose_a"}),
        ("manager_b", {"own_b", "loose_b"}),
        ("supervisor_a", {"own_a", "loose_a"}),
        ("account_manager_a", {"own_a"}),
        ("account_manager_b", {"own_b"}),
        # front line looks up any customer of their department
        ("agent_a", {"own_a", "loose_a"}),
        ("complaint_handler_b", {"own_b", "loose_b"}),
        ("relations_specialist_a", {"own_a", "loose_a"}),
        ("qa_inspector_b", {"own_b", "loose_b"}),
        ("trainer_a", set()),
    ],
)
def test_customer_visibility_per_role(org, customers, who, expected):
    user = org.admin if who == "admin" else getattr(org, who)
    assert _visible(user, Customer, customers) == expected


def test_staff_visibility_per_role(org):
    staff = {u.username: u for u in User.objects.all()}
    everyone = set(staff)

    def visible(user):
        return set(
            scoping.visible_to(user, User.objects.all()).values_list(
                "username", flat=True
            )
        )

    side_a = {n for n, u in staff.items() if u.department_id == org.dept_a.pk}
    team_a = {n for n, u in staff.items() if u.team_id == org.team_a.pk}
    assert visible(org.admin) == everyone
    assert visible(org.manager_a) == side_a
    assert visible(org.supervisor_a) == team_a
    assert visible(org.agent_a) == {"agent_a"}
    assert visible(org.trainer_b) == everyone  # trainers keep every staff record
    assert visible(org.qa_inspector_a) == everyone


def test_supervisor_sees_every_team_they_supervise(org):
    extra = Team.objects.create(
        code="team-a2", name="二组", department=org.dept_a, supervisor=org.supervisor_a
    )
    member = UserFactory(username="member_a2", team=extra, roles=["agent"])
    visible = scoping.visible_to(org.supervisor_a, User.objects.all())
    assert member in visible
    assert org.agent_b not in visible


def test_inactive_or_anonymous_users_see_nothing(org, customers):
    from django.contrib.auth.models import AnonymousUser

    org.manager_a.is_active = False
    assert not scoping.visible_to(org.manager_a, Customer.objects.all()).exists()
    assert not scoping.visible_to(AnonymousUser(), Customer.objects.all()).exists()


def test_user_without_role_sees_only_nothing(org, customers):
    nobody = UserFactory(username="no_role", team=org.team_a)
    assert not scoping.visible_to(nobody, Customer.objects.all()).exists()


def test_partner_sees_only_its_own_customers(db):
    mine, theirs = PartnerFactory(), PartnerFactory()
    c1 = CustomerFactory(partner=mine)
    CustomerFactory(partner=theirs)
    CustomerFactory()
    assert list(scoping.visible_to_partner(mine, Customer.objects.all())) == [c1]
    mine.is_active = False
    assert not scoping.visible_to_partner(mine, Customer.objects.all()).exists()


def test_can_view_and_can_change(org, customers):
    assert scoping.can_view(org.agent_a, customers["loose_a"])
    assert not scoping.can_view(org.agent_a, customers["own_b"])
    assert scoping.can_change(org.account_manager_a, customers["own_a"])
    assert not scoping.can_change(org.account_manager_a, customers["own_b"])
    # relations specialists see customers but may not change them
    assert not scoping.can_change(org.relations_specialist_a, customers["own_a"])


def test_unregistered_model_is_refused(org):
    from django.contrib.contenttypes.models import ContentType

    with pytest.raises(scoping.ScopeNotRegistered):
        scoping.visible_to(org.agent_a, ContentType.objects.all())


def test_scoping_costs_one_query_for_roles_and_one_for_teams(
    org, customers, django_assert_num_queries
):
    user = User.objects.get(pk=org.supervisor_a.pk)  # fresh: nothing cached
    with django_assert_num_queries(3):  # roles, supervised teams, the rows
        list(scoping.visible_to(user, Customer.objects.all()))
    with django_assert_num_queries(1):  # cached on the instance afterwards
        list(scoping.visible_to(user, Customer.objects.all()))


def test_an_api_key_principal_sees_only_its_partners_rows(org):
    """Views may pass ``request.user`` whatever authenticated it: a partner
    principal (no groups) is scoped by its partner, never treated as staff."""
    from partners.api.authentication import PartnerClient

    mine, other = PartnerFactory(), PartnerFactory()
    own = CustomerFactory(partner=mine)
    CustomerFactory(partner=other)
    CustomerFactory()

    class Key:
        partner = mine

    principal = PartnerClient(Key())
    assert list(scoping.visible_to(principal, Customer.objects.all())) == [own]
    assert scoping.user_roles(principal) == frozenset()
