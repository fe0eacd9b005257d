"""Issue 11, Medium 4, 5, 6 and Low: the admin stays inside the user's scope.

- every foreign-key / many-to-many choice of every admin form (and inline) and
  every autocomplete answer holds only rows the user may see;
- a forged POST naming an out-of-scope customer, complaint or colleague is a form
  error and saves nothing; the services refuse it too (for every other caller);
- masked roles (QA inspectors, trainers) cannot find a customer by phone or
  e-mail; searches by identifier of other roles are in the access log;
- the customer's history panel and the inlines list only what the viewer sees;
- the quality-inspection change page renders.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.admin_forms import AssignForm, WorkflowForm
from complaints.models import Category, Complaint, CorrectiveAction
from config.errors import InvalidInput
from crm import scoping, services
from crm.admin_base import ScopedInlineMixin, ScopedModelAdmin
from crm.models import (
    Contact,
    Customer,
    Interaction,
    PersonalDataAccess,
    PrivacyRequest,
    Revisit,
)
from crm.roles import ROLE_PERMISSIONS, STAFF_ROLES
from kpi.models import QualityInspection
from kpi.services.inspections import inspection_record
from tests.factories import CustomerFactory
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import ContactFactory, InteractionFactory, RevisitFactory
from tests.factories.training import (
    CourseFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
)
from training import services as training_services
from training.models import Assessment, Certification, Enrollment, TrainingAssignment

pytestmark = pytest.mark.django_db

ROLES_A = [f"{role}_a" for role in STAFF_ROLES if role != "admin"]
# Django's own admins (roles, API tokens): only administrators hold their
# permissions, and administrators see everything.
# Third-party admins that only administrators reach (no role table grants them).
FOREIGN_ADMINS = {
    "auth.Group",
    "authtoken.TokenProxy",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
}
SCORES = dict.fromkeys(QualityInspection.CHECKLIST, 8)


@pytest.fixture
def world(org):
    """Rows on both sides: department A (the users under test) and B."""
    w = org
    w.cust_a = CustomerFactory(department=org.dept_a, phone="+8613811110000")
    w.cust_a.email = "a@example.com"
    w.cust_a.save()
    w.cust_b = CustomerFactory(department=org.dept_b, phone="+8613822220000")
    w.cust_am_a = CustomerFactory(owner=org.account_manager_a)
    w.comp_a = make_complaint(actor=org.supervisor_a, customer=w.cust_a)
    w.comp_b = make_complaint(actor=org.supervisor_b, customer=w.cust_b)
    w.int_a = InteractionFactory(customer=w.cust_a, staff=org.agent_a)
    w.int_b = InteractionFactory(customer=w.cust_b, staff=org.agent_b)
    w.contact_a = ContactFactory(customer=w.cust_a)
    w.contact_b = ContactFactory(customer=w.cust_b)
    w.rev_a = RevisitFactory(customer=w.cust_a, assignee=org.relations_specialist_a)
    w.rev_b = RevisitFactory(customer=w.cust_b, assignee=org.relations_specialist_b)
    w.course = CourseFactory(code="scope-101")
    w.session = TrainingSessionFactory(course=w.course)
    for staff in (org.agent_a, org.agent_b):
        EnrollmentFactory(session=w.session, staff=staff)
    _visit_of_technician_a(w)
    return w


def _visit_of_technician_a(w):
    """An installation of department A booked into technician_a's slot: the
    one order a technician reaches (and changes: its workflow form's choices)."""
    from datetime import time

    from aftersales import services as aftersales
    from aftersales.models import AppointmentSlot, Technician

    profile = Technician.objects.create(
        user=w.technician_a,
        department=w.dept_a,
        skills=["installation"],
        areas=["浦东"],
    )
    slot = AppointmentSlot.objects.create(
        technician=profile,
        date=timezone.localdate() + timedelta(days=1),
        start=time(9),
        end=time(11),
        area="浦东",
        kind="installation",
        capacity=5,
    )
    order = aftersales.order_create(
        actor=w.agent_a,
        kind="installation",
        customer=w.cust_a,
        product_name="净水器 W5",
    )
    order = aftersales.order_transition(
        actor=w.admin, order=order, to_status="approved"
    )
    aftersales.appointment_book(actor=w.admin, order=order, slot=slot)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _pks(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


def _allowed(user, model) -> set:
    try:
        return _pks(scoping.visible_to(user, model._default_manager.all()))
    except scoping.ScopeNotRegistered:
        return set()


def _label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


# --- every admin and inline inherits the scoped base ------------------------------


def test_every_admin_and_inline_is_scoped():
    for model, model_admin in admin.site._registry.items():
        if _label(model) in FOREIGN_ADMINS:
            continue
        assert isinstance(model_admin, ScopedModelAdmin), _label(model)
        for inline in model_admin.inlines:
            assert issubclass(inline, ScopedInlineMixin), inline.__name__


def test_only_administrators_reach_djangos_own_admins():
    for role, table in ROLE_PERMISSIONS.items():
        for label in table:
            assert not label.startswith(("auth.", "authtoken.", "axes.")), (role, label)


def test_every_foreign_key_of_an_admin_form_has_a_scope_rule():
    """A form field of a model without a rule would offer nothing (fail closed);
    every relation an admin can show has a rule instead."""
    for model, model_admin in admin.site._registry.items():
        if _label(model) in FOREIGN_ADMINS:
            continue
        models = [model, *(inline.model for inline in model_admin.inlines)]
        for owner in models:
            for field in owner._meta.get_fields():
                if field.concrete and (field.many_to_one or field.many_to_many):
                    scoping.scope_for(field.remote_field.model)  # raises if missing


# --- choices of every add and change form --------------------------------------------


def _forms(model_admin, request):
    """The admin's add form, its change form for the first row the user may
    change, and the forms of their inlines (instances: some forms fill their
    choices in ``__init__``)."""
    forms = []
    if model_admin.has_add_permission(request):
        forms.append(model_admin.get_form(request, None, change=False)())
        for inline in model_admin.get_inline_instances(request, None):
            formset = inline.get_formset(request, None)
            forms.append(formset(instance=model_admin.model()).empty_form)
    obj = model_admin.get_queryset(request).first()
    if obj is not None and model_admin.has_change_permission(request, obj):
        forms.append(model_admin.get_form(request, obj, change=True)(instance=obj))
        for inline in model_admin.get_inline_instances(request, obj):
            forms.append(inline.get_formset(request, obj)(instance=obj).empty_form)
    return forms


@pytest.mark.parametrize("who", ROLES_A)
def test_every_form_choice_is_in_scope(world, who):
    user = getattr(world, who)
    request = _request(user)
    checked = []
    for model, model_admin in admin.site._registry.items():
        if _label(model) in FOREIGN_ADMINS:
            continue
        for form in _forms(model_admin, request):
            for name, field in form.fields.items():
                # (an inline row's own id: bound, it is looked up in the scoped
                # inline queryset; unbound it offers nothing)
                if not isinstance(field, ModelChoiceField) or name == "id":
                    continue
                related = field.queryset.model
                offered = _pks(field.queryset)
                assert offered <= _allowed(user, related), (_label(model), name)
                checked.append((_label(model), name))
    assert checked, "every role adds or changes something: choices were checked"


def test_choices_leave_out_the_other_department(world):
    """The cases of the report, field by field."""

    def choices(user, label, field_name):
        model_admin = admin.site._registry[
            next(m for m in admin.site._registry if _label(m) == label)
        ]
        form = model_admin.get_form(_request(user), None, change=False)
        return _pks(form.base_fields[field_name].queryset)

    assert world.cust_a.pk in choices(world.agent_a, "crm.Contact", "customer")
    assert world.cust_b.pk not in choices(world.agent_a, "crm.Contact", "customer")
    assert world.cust_b.pk not in choices(
        world.agent_a, "complaints.Complaint", "customer"
    )
    inspected = choices(world.qa_inspector_a, "kpi.QualityInspection", "complaint")
    assert world.comp_a.pk in inspected and world.comp_b.pk not in inspected
    calls = choices(world.qa_inspector_a, "kpi.QualityInspection", "interaction")
    assert world.int_a.pk in calls and world.int_b.pk not in calls
    staff = choices(world.manager_a, "training.TrainingAssignment", "staff")
    assert world.agent_a.pk in staff and world.agent_b.pk not in staff


def test_action_forms_offer_only_colleagues_in_scope(world):
    for form in (
        AssignForm(user=world.supervisor_a),
        WorkflowForm(user=world.supervisor_a),
    ):
        assignees = _pks(form.fields["assignee"].queryset)
        assert world.agent_a.pk in assignees and world.agent_b.pk not in assignees


# --- autocomplete ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES_A)
def test_every_autocomplete_answers_within_scope(world, client, who):
    user = getattr(world, who)
    client.force_login(user)
    answered = 0
    for model, model_admin in admin.site._registry.items():
        if _label(model) in FOREIGN_ADMINS:
            continue
        for field_name in model_admin.get_autocomplete_fields(_request(user)):
            related = model._meta.get_field(field_name).remote_field.model
            response = client.get(
                reverse("admin:autocomplete"),
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                },
            )
            assert response.status_code in (200, 403), (_label(model), field_name)
            if response.status_code == 200:
                found = {int(row["id"]) for row in response.json()["results"]}
                assert found <= _allowed(user, related), (_label(model), field_name)
                answered += 1
    assert answered or who in ("agent_a", "complaint_handler_a", "account_manager_a")


def test_customer_autocomplete_leaves_out_other_departments(world, client):
    client.force_login(world.agent_a)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "customer",
            "term": "客户",
        },
    )
    found = {int(row["id"]) for row in response.json()["results"]}
    assert world.cust_a.pk in found and world.cust_b.pk not in found


# --- forged POSTs change nothing --------------------------------------------------------


def _split(moment) -> dict:
    local = timezone.localtime(moment)
    return {"0": local.date().isoformat(), "1": local.strftime("%H:%M:%S")}


def _at(name, moment) -> dict:
    parts = _split(moment)
    return {f"{name}_0": parts["0"], f"{name}_1": parts["1"]}


def _contact(w, customer):
    return {"customer": customer.pk, "name": "王经理", "title": "", "notes": ""}


def _complaint(w, customer):
    return {
        "customer": customer.pk,
        "channel": "phone",
        "category": Category.objects.get(code="attitude").pk,
        "severity": "normal",
        "subject": "态度问题",
        "description": "客服态度差。",
    }


def _inspection(w, complaint):
    return {
        "complaint": complaint.pk,
        "staff": w.agent_a.pk,
        **_at("inspected_at", timezone.now() - timedelta(hours=1)),
        "comments": "",
        **dict.fromkeys(QualityInspection.CHECKLIST, "8"),
    }


def _revisit(w, customer):
    return {
        "customer": customer.pk,
        "purpose": Revisit.Purpose.SATISFACTION,
        "method": Revisit.Method.PHONE,
        **_at("due_at", timezone.now() + timedelta(days=2)),
        "assignee": w.relations_specialist_a.pk,
        "notes": "",
    }


def _interaction(w, customer):
    return {
        "customer": customer.pk,
        "contact": "",
        "channel": "phone",
        "direction": "inbound",
        **_at("occurred_at", timezone.now() - timedelta(minutes=5)),
        "summary": "来电",
    }


def _privacy(w, customer):
    return {
        "customer": customer.pk,
        "kind": PrivacyRequest.Kind.EXPORT,
        "requested_by": "本人",
        **_at("requested_at", timezone.now() - timedelta(minutes=5)),
        "corrections": "{}",
        "note": "",
    }


def _customer(w, owner):
    return {
        "kind": "individual",
        "name": "新客户",
        "tier": "regular",
        "lifecycle": "new",
        "tags": "[]",
        "phone": "",
        "email": "",
        "address": "",
        "owner": owner.pk,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "external_ids-TOTAL_FORMS": "0",
        "external_ids-INITIAL_FORMS": "0",
    }


def _capa(w, complaint):
    return {
        "title": "整改",
        "kind": CorrectiveAction.Kind.CORRECTIVE,
        "root_cause": "培训不足",
        "action": "复训",
        "owner": w.complaint_handler_a.pk,
        "due_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "complaints": [complaint.pk],
    }


def _assignment(w, staff):
    return {
        "staff": staff.pk,
        "course": w.course.pk,
        "reason": TrainingAssignment.Reason.OTHER,
        "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "note": "",
    }


# (user, admin url name, form data builder, in-scope object, out-of-scope object,
#  the field refused, the model whose rows must not grow)
FORGED = [
    ("agent_a", "crm_contact_add", _contact, "cust_a", "cust_b", "customer", Contact),
    (
        "agent_a",
        "complaints_complaint_add",
        _complaint,
        "cust_a",
        "cust_b",
        "customer",
        Complaint,
    ),
    (
        "qa_inspector_a",
        "kpi_qualityinspection_add",
        _inspection,
        "comp_a",
        "comp_b",
        "complaint",
        QualityInspection,
    ),
    (
        "relations_specialist_a",
        "crm_revisit_add",
        _revisit,
        "cust_a",
        "cust_b",
        "customer",
        Revisit,
    ),
    (
        "agent_a",
        "crm_interaction_add",
        _interaction,
        "cust_a",
        "cust_b",
        "customer",
        Interaction,
    ),
    (
        "manager_a",
        "crm_privacyrequest_add",
        _privacy,
        "cust_a",
        "cust_b",
        "customer",
        PrivacyRequest,
    ),
    (
        "account_manager_a",
        "crm_customer_add",
        _customer,
        "account_manager_a",
        "account_manager_b",
        "owner",
        Customer,
    ),
    (
        "complaint_handler_a",
        "complaints_correctiveaction_add",
        _capa,
        "comp_a",
        "comp_b",
        "complaints",
        CorrectiveAction,
    ),
    (
        "manager_a",
        "training_trainingassignment_add",
        _assignment,
        "agent_a",
        "agent_b",
        "staff",
        TrainingAssignment,
    ),
]


@pytest.mark.parametrize(
    ("who", "url", "build", "inside", "outside", "field", "model"), FORGED
)
def test_forged_post_with_an_out_of_scope_id_changes_nothing(
    world, client, who, url, build, inside, outside, field, model
):
    client.force_login(getattr(world, who))
    before = model.objects.count()
    # Given the form the user could have sent, naming a row of department B
    response = client.post(
        reverse(f"admin:{url}"), build(world, getattr(world, outside))
    )
    # Then the form comes back with an error on that field and nothing is saved
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert model.objects.count() == before
    # (the same form naming a row of department A is saved: the data is sound)
    response = client.post(
        reverse(f"admin:{url}"), build(world, getattr(world, inside))
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert model.objects.count() == before + 1


def test_a_manager_cannot_move_a_team_to_another_department(world, client):
    client.force_login(world.manager_a)
    url = reverse("admin:crm_team_change", args=[world.team_a.pk])
    response = client.post(
        url,
        {
            "code": world.team_a.code,
            "name": "改名",
            "department": world.dept_b.pk,
            "supervisor": world.supervisor_a.pk,
            "is_active": "on",
        },
    )
    assert "department" in response.context["adminform"].form.errors
    world.team_a.refresh_from_db()
    assert world.team_a.department == world.dept_a and world.team_a.name != "改名"


# --- the services refuse it for every other caller -----------------------------------------


def _refused(call, field):
    with pytest.raises(InvalidInput) as exc:
        call()
    assert exc.value.field == field and exc.value.code == "invalid_choice"


def test_crm_services_refuse_objects_outside_the_scope(world):
    w = world
    before = (Interaction.objects.count(), Revisit.objects.count())
    _refused(
        lambda: services.interaction_record(
            actor=w.agent_a, customer=w.cust_b, channel="phone", summary="x"
        ),
        "customer",
    )
    _refused(
        lambda: services.interaction_record(
            actor=w.agent_a,
            customer=w.cust_a,
            channel="phone",
            summary="x",
            complaint=w.comp_b,
        ),
        "complaint",
    )
    soon = timezone.now() + timedelta(days=1)
    _refused(
        lambda: services.revisit_create(
            actor=w.relations_specialist_a,
            customer=w.cust_b,
            purpose=Revisit.Purpose.SATISFACTION,
            due_at=soon,
        ),
        "customer",
    )
    _refused(
        lambda: services.revisit_create(
            actor=w.supervisor_a,
            customer=w.cust_a,
            purpose=Revisit.Purpose.SATISFACTION,
            due_at=soon,
            assignee=w.agent_b,
        ),
        "assignee",
    )
    _refused(
        lambda: services.revisit_reassign(
            actor=w.manager_a, revisit=w.rev_a, assignee=w.relations_specialist_b
        ),
        "assignee",
    )
    assert (Interaction.objects.count(), Revisit.objects.count()) == before
    w.rev_a.refresh_from_db()
    assert w.rev_a.assignee == w.relations_specialist_a
    _refused(
        lambda: services.privacy_request_create(
            actor=w.manager_a, customer=w.cust_b, kind="export", requested_by="本人"
        ),
        "customer",
    )
    _refused(
        lambda: services.customer_create(
            actor=w.agent_a, name="x", owner=w.account_manager_b
        ),
        "owner",
    )
    _refused(
        lambda: services.customer_update(
            actor=w.manager_a, customer=w.cust_a, department=w.dept_b
        ),
        "department",
    )
    _refused(
        lambda: services.contact_create(actor=w.agent_a, customer=w.cust_b, name="x"),
        "customer",
    )
    _refused(
        lambda: services.contact_update(
            actor=w.agent_a, contact=w.contact_a, customer=w.cust_b
        ),
        "customer",
    )
    assert not PrivacyRequest.objects.exists()
    w.cust_a.refresh_from_db()
    w.contact_a.refresh_from_db()
    assert w.cust_a.department == w.dept_a and w.contact_a.customer == w.cust_a


def test_complaint_services_refuse_objects_outside_the_scope(world):
    w = world
    count = Complaint.objects.count()
    _refused(lambda: make_complaint(actor=w.agent_a, customer=w.cust_b), "customer")
    _refused(
        lambda: make_complaint(
            actor=w.agent_a, customer=w.cust_a, attributed_staff=w.agent_b
        ),
        "attributed_staff",
    )
    assert Complaint.objects.count() == count
    # a colleague of the own department may be named
    named = make_complaint(
        actor=w.agent_a, customer=w.cust_a, attributed_staff=w.complaint_handler_a
    )
    assert named.attributed_staff == w.complaint_handler_a

    walk(w.comp_a, "analyzing", actor=w.supervisor_a)
    _refused(
        lambda: complaint_services.complaint_record_analysis(
            actor=w.supervisor_a,
            complaint=Complaint.objects.get(pk=w.comp_a.pk),
            cause_hypothesis="态度",
            attributed_staff=w.agent_b,
        ),
        "attributed_staff",
    )
    assert Complaint.objects.get(pk=w.comp_a.pk).attributed_staff is None
    _refused(
        lambda: complaint_services.complaint_escalate(
            actor=w.supervisor_a,
            complaint=Complaint.objects.get(pk=w.comp_a.pk),
            to_user=w.manager_b,
        ),
        "to_user",
    )
    assert Complaint.objects.get(pk=w.comp_a.pk).escalation_level == 0
    _refused(
        lambda: complaint_services.capa_create(
            actor=w.complaint_handler_a,
            title="t",
            root_cause="r",
            action="a",
            owner=w.complaint_handler_b,
            due_date=timezone.localdate() + timedelta(days=3),
        ),
        "owner",
    )
    assert not CorrectiveAction.objects.exists()


def test_inspection_and_training_services_refuse_objects_outside_the_scope(world):
    w = world
    _refused(
        lambda: inspection_record(
            actor=w.qa_inspector_a, complaint=w.comp_b, scores=SCORES
        ),
        "complaint",
    )
    _refused(
        lambda: inspection_record(
            actor=w.qa_inspector_a, interaction=w.int_b, scores=SCORES
        ),
        "interaction",
    )
    assert not QualityInspection.objects.exists()
    due = timezone.localdate() + timedelta(days=7)
    calls = [
        lambda: training_services.enrollment_create(
            actor=w.supervisor_a, session=w.session, staff=w.complaint_handler_b
        ),
        lambda: training_services.assessment_schedule(
            actor=w.manager_a,
            staff=w.agent_b,
            course=w.course,
            kind="knowledge",
            due_on=due,
        ),
        lambda: training_services.certification_issue(
            actor=w.manager_a,
            staff=w.agent_b,
            qualification="资格证",
            issued_on=timezone.localdate(),
        ),
        lambda: training_services.assignment_create(
            actor=w.manager_a, staff=w.agent_b, course=w.course, reason="other"
        ),
    ]
    for call in calls:
        _refused(call, "staff")
    assert not Enrollment.objects.filter(staff=w.complaint_handler_b).exists()
    assert not Assessment.objects.exists()
    assert not Certification.objects.exists()
    assert not TrainingAssignment.objects.exists()


# --- masked roles get no phone / e-mail search; other roles' searches are logged -------


@pytest.mark.parametrize("term", ["13811110000", "+86 138-1111-0000", "a@example.com"])
def test_qa_search_by_phone_or_email_finds_nothing_and_leaves_no_trace(
    world, client, term
):
    client.force_login(world.qa_inspector_a)
    customers = reverse("admin:crm_customer_changelist")
    # Given a customer the QA inspector may see (masked), found by name
    by_name = client.get(customers, {"q": world.cust_a.name})
    assert list(by_name.context["cl"].result_list) == [world.cust_a]
    # When they search by the customer's phone or e-mail, and by an unknown one
    known = client.get(customers, {"q": term})
    unknown = client.get(customers, {"q": "13899999999"})
    complaints = client.get(
        reverse("admin:complaints_complaint_changelist"), {"q": term}
    )
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "customer",
            "term": term,
        },
    )
    # Then nothing is found either way: no answer tells whose number it is
    assert list(known.context["cl"].result_list) == []
    assert list(unknown.context["cl"].result_list) == []
    assert list(complaints.context["cl"].result_list) == []
    assert autocomplete.json()["results"] == []
    assert "电话" not in known.content.decode().split("searchbar")[-1][:400]
    assert not PersonalDataAccess.objects.filter(action="search").exists()


def test_agent_search_by_phone_is_written_to_the_access_log(world, client):
    client.force_login(world.agent_a)
    response = client.get(
        reverse("admin:crm_customer_changelist"), {"q": "138 1111 0000"}
    )
    assert list(response.context["cl"].result_list) == [world.cust_a]
    row = PersonalDataAccess.objects.get(action="search")
    assert (row.actor, row.customer) == (world.agent_a, world.cust_a)
    # the autocomplete of the complaint form is a search too
    client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "customer",
            "term": "a@example.com",
        },
    )
    assert PersonalDataAccess.objects.filter(action="search").count() == 2
    # a search by name reads no identifier: nothing logged
    client.get(reverse("admin:crm_customer_changelist"), {"q": world.cust_a.name})
    assert PersonalDataAccess.objects.filter(action="search").count() == 2


def test_supervisor_complaint_search_by_phone_is_logged(world, client):
    client.force_login(world.supervisor_a)
    response = client.get(
        reverse("admin:complaints_complaint_changelist"), {"q": "13811110000"}
    )
    assert list(response.context["cl"].result_list) == [world.comp_a]
    row = PersonalDataAccess.objects.get(action="search")
    assert (row.actor, row.customer) == (world.supervisor_a, world.cust_a)


# --- history panels and inlines list only what the viewer may see -------------------------


def test_customer_history_panel_is_scoped(world, client):
    w = world
    # Given a department-A customer with a complaint worked in team B and a
    # revisit of the relations specialist
    elsewhere = make_complaint(actor=None, customer=w.cust_a, channel="letter")
    complaint_services.complaint_assign(
        actor=w.admin, complaint=elsewhere, assignee=w.agent_b
    )
    own_revisit = RevisitFactory(customer=w.cust_a, assignee=w.agent_a)
    client.force_login(w.agent_a)
    html = client.get(
        reverse("admin:crm_customer_change", args=[w.cust_a.pk])
    ).content.decode()
    # Then the agent's page lists their complaint and revisit, not the others
    assert w.comp_a.reference in html
    assert elsewhere.reference not in html
    assert reverse("admin:crm_revisit_change", args=[own_revisit.pk]) in html
    assert reverse("admin:crm_revisit_change", args=[w.rev_a.pk]) not in html
    # while an administrator sees all of them
    client.force_login(w.admin)
    html = client.get(
        reverse("admin:crm_customer_change", args=[w.cust_a.pk])
    ).content.decode()
    assert elsewhere.reference in html
    assert reverse("admin:crm_revisit_change", args=[w.rev_a.pk]) in html


def test_session_enrolments_inline_is_scoped(world, client):
    url = reverse("admin:training_trainingsession_change", args=[world.session.pk])
    client.force_login(world.supervisor_a)
    html = client.get(url).content.decode()
    assert world.agent_a.get_full_name() in html
    assert world.agent_b.get_full_name() not in html
    client.force_login(world.trainer_a)
    assert world.agent_b.get_full_name() in client.get(url).content.decode()


# --- the quality-inspection change page renders ---------------------------------------------


@pytest.mark.parametrize("who", ["qa_inspector_a", "admin"])
def test_quality_inspection_change_page_renders(world, client, who):
    inspection = inspection_record(
        actor=world.qa_inspector_a,
        complaint=world.comp_a,
        staff=world.agent_a,
        scores=SCORES,
    )
    client.force_login(getattr(world, who))
    response = client.get(
        reverse("admin:kpi_qualityinspection_change", args=[inspection.pk])
    )
    assert response.status_code == 200
    assert response.context["original"] == inspection
    assert world.comp_a.reference in response.content.decode()


def test_roles_are_choices_for_every_staff_role(world):
    groups = _pks(Group.objects.all())
    assert _allowed(world.manager_a, Group) == groups
    assert _allowed(world.agent_a, Group) == groups
