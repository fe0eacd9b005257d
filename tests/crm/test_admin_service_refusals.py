"""ServiceAdminMixin (crm.admin_base): a service's refusal on a real admin page.

For one admin per app, a refused add, change, action and delete: the refusal is
shown (an error message; on add and change also a form error, the form coming
back with status 200), nothing is saved and nothing is written to the admin log;
actions and deletes redirect back (302). Refusals are real service rules where a
form does not already catch them, else the service the admin calls is made to
refuse (as it would on a concurrent change); ``NotPermitted``, ``InvalidInput``
with a field, and Django's ``ValidationError`` (plain and per field) all occur.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.messages import ERROR, get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import ModelForm
from django.urls import reverse
from django.utils import timezone, translation

from complaints import services as complaint_services
from complaints.admin.sla import CalendarDayAdmin
from complaints.models import CalendarDay, Category, Complaint, SatisfactionSurvey
from config.errors import DomainError, InvalidInput, NotPermitted
from crm import services as crm_services
from crm.admin_customers import ContactAdmin, CustomerForm
from crm.models import Contact, Customer, Revisit
from kpi import admin as kpi_admin
from kpi.models import QualityInspection, ScorecardLine, ScorecardTemplate
from partners import services as partner_services
from partners.models import ApiKey, WebhookEndpoint
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import CustomerFactory, PartnerFactory, RevisitFactory
from tests.factories.kpi import interaction, local
from tests.factories.partners import WebhookEndpointFactory, make_api_key
from tests.factories.training import CertificationFactory
from training import services as training_services
from training.admin.results import CertificationAdmin
from training.models import Certification

pytestmark = pytest.mark.django_db

REFUSED = "服务拒绝了这次操作"  # what the service made to refuse says


def refusing(exc: Exception):
    def refuse(*args, **kwargs):
        raise exc

    return refuse


def refusal_of(call) -> str:
    """The message a real service refusal shows (in the site's language)."""
    with (
        translation.override(settings.LANGUAGE_CODE),
        pytest.raises(DomainError) as refused,
        transaction.atomic(),
    ):
        call()
    return refused.value.message


def rows(*models) -> list:
    return [list(m.objects.order_by("pk").values()) for m in models]


@dataclass
class Case:
    user: Any
    url: str
    data: dict
    models: tuple  # whose rows must not change
    text: str  # the refusal shown
    field: str | None = None  # the form field it is shown on (add, change)
    next_url: str | None = None  # where actions and deletes go back to


def _date(value) -> str:
    return value.isoformat()


# --- crm ---------------------------------------------------------------------------


def _customer_post(**values) -> dict:
    return {
        "kind": "individual",
        "tier": "regular",
        "lifecycle": "new",
        "tags": "[]",
        "phone": "",
        "email": "",
        "address": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "external_ids-TOTAL_FORMS": "0",
        "external_ids-INITIAL_FORMS": "0",
        **values,
    }


def crm_add(org, monkeypatch) -> Case:
    # The duplicate got past the form's own check (another agent saved the same
    # phone meanwhile): the service refuses it. Used to be a 500.
    CustomerFactory(phone="+8613900002222")
    monkeypatch.setattr(CustomerForm, "clean", ModelForm.clean)
    return Case(
        user=org.account_manager_a,
        url=reverse("admin:crm_customer_add"),
        data=_customer_post(name="重复", phone="13900002222"),
        models=(Customer, Revisit),
        text=refusal_of(
            lambda: crm_services.customer_create(
                actor=org.account_manager_a, name="重复", phone="13900002222"
            )
        ),
        field="phone",
    )


def crm_change(org, monkeypatch) -> Case:
    customer = CustomerFactory(owner=org.account_manager_a, department=org.dept_a)
    monkeypatch.setattr(
        crm_services,
        "customer_update",
        refusing(InvalidInput(REFUSED, field="name")),
    )
    return Case(
        user=org.account_manager_a,
        url=reverse("admin:crm_customer_change", args=[customer.pk]),
        data=_customer_post(
            name="新名字",
            owner=org.account_manager_a.pk,
            department=org.dept_a.pk,
        ),
        models=(Customer,),
        text=REFUSED,
        field="name",
    )


def crm_action(org, monkeypatch) -> Case:
    revisit = RevisitFactory(
        customer=CustomerFactory(department=org.dept_a),
        assignee=org.relations_specialist_a,
        status=Revisit.Status.CANCELLED,
    )
    changelist = reverse("admin:crm_revisit_changelist")
    return Case(
        user=org.relations_specialist_a,
        url=changelist,
        data={"action": "mark_missed", "_selected_action": [revisit.pk]},
        models=(Revisit,),
        text=f"{revisit}: "
        + refusal_of(
            lambda: crm_services.revisit_mark_missed(
                actor=org.relations_specialist_a, revisit=revisit
            )
        ),
        next_url=changelist,
    )


def crm_delete(org, monkeypatch) -> Case:
    customer = CustomerFactory(owner=org.account_manager_a, department=org.dept_a)
    contact = Contact.objects.create(customer=customer, name="王经理")
    monkeypatch.setattr(ContactAdmin, "delete_model", refusing(NotPermitted(REFUSED)))
    return Case(
        user=org.manager_a,
        url=reverse("admin:crm_contact_delete", args=[contact.pk]),
        data={"post": "yes"},
        models=(Contact,),
        text=REFUSED,
        next_url=reverse("admin:crm_contact_change", args=[contact.pk]),
    )


# --- complaints ---------------------------------------------------------------------


def complaints_add(org, monkeypatch) -> Case:
    customer = CustomerFactory(department=org.dept_a)
    monkeypatch.setattr(
        complaint_services,
        "complaint_receive",
        refusing(InvalidInput(REFUSED, field="subject")),
    )
    return Case(
        user=org.agent_a,
        url=reverse("admin:complaints_complaint_add"),
        data={
            "customer": customer.pk,
            "channel": "phone",
            "category": Category.objects.get(code="attitude").pk,
            "severity": "high",
            "subject": "快递员态度恶劣",
            "description": "快递员电话中辱骂客户。",
        },
        models=(Complaint,),
        text=REFUSED,
        field="subject",
    )


def complaints_change(org, monkeypatch) -> Case:
    complaint = walk(make_complaint(actor=org.agent_a), "resolved", actor=org.admin)
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    monkeypatch.setattr(
        complaint_services, "survey_record_answer", refusing(NotPermitted(REFUSED))
    )
    return Case(
        user=org.relations_specialist_a,
        url=reverse("admin:complaints_satisfactionsurvey_change", args=[survey.pk]),
        data={"csat": "4", "nps": "9", "comment": "满意", "channel": "phone"},
        models=(SatisfactionSurvey,),
        text=REFUSED,
    )


def complaints_action(org, monkeypatch) -> Case:
    complaint = make_complaint(actor=org.agent_a)
    changelist = reverse("admin:complaints_complaint_changelist")
    return Case(
        user=org.supervisor_a,
        url=changelist,
        data={"action": "close_selected", "_selected_action": [complaint.pk]},
        models=(Complaint,),
        text=f"{complaint.reference}: "
        + refusal_of(
            lambda: complaint_services.complaint_close(
                actor=org.supervisor_a, complaint=complaint
            )
        ),
        next_url=changelist,
    )


def complaints_delete(org, monkeypatch) -> Case:
    day = CalendarDay.objects.order_by("pk").first()
    monkeypatch.setattr(
        CalendarDayAdmin, "delete_model", refusing(NotPermitted(REFUSED))
    )
    return Case(
        user=org.manager_a,
        url=reverse("admin:complaints_calendarday_delete", args=[day.pk]),
        data={"post": "yes"},
        models=(CalendarDay,),
        text=REFUSED,
        next_url=reverse("admin:complaints_calendarday_change", args=[day.pk]),
    )


# --- training -----------------------------------------------------------------------


def _certification_post(staff, **values) -> dict:
    today = timezone.localdate()
    return {
        "staff": staff.pk,
        "qualification": "客户服务专员资格证",
        "number": "ZG-1",
        "issued_on": _date(today - timedelta(days=10)),
        "expires_on": _date(today + timedelta(days=700)),
        **values,
    }


def training_add(org, monkeypatch) -> Case:
    # (An expiry before the issue date is caught by the form's model check.)
    monkeypatch.setattr(
        training_services,
        "certification_issue",
        refusing(InvalidInput(REFUSED, field="qualification")),
    )
    return Case(
        user=org.trainer_a,
        url=reverse("admin:training_certification_add"),
        data=_certification_post(org.agent_a),
        models=(Certification,),
        text=REFUSED,
        field="qualification",
    )


def training_change(org, monkeypatch) -> Case:
    cert = CertificationFactory(staff=org.agent_a, status=Certification.Status.REVOKED)
    return Case(
        user=org.trainer_a,
        url=reverse("admin:training_certification_change", args=[cert.pk]),
        data=_certification_post(org.agent_a, number="ZG-NEW"),
        models=(Certification,),
        text=refusal_of(
            lambda: training_services.certification_renew(
                actor=org.trainer_a, certification=cert, expires_on=None
            )
        ),
    )


def training_action(org, monkeypatch) -> Case:
    cert = CertificationFactory(staff=org.agent_a, status=Certification.Status.EXPIRED)
    changelist = reverse("admin:training_certification_changelist")
    return Case(
        user=org.trainer_a,
        url=changelist,
        data={"action": "revoke", "_selected_action": [cert.pk]},
        models=(Certification,),
        text=f"{cert}: "
        + refusal_of(
            lambda: training_services.certification_revoke(
                actor=org.trainer_a, certification=cert
            )
        ),
        next_url=changelist,
    )


def training_delete(org, monkeypatch) -> Case:
    cert = CertificationFactory(staff=org.agent_a)
    monkeypatch.setattr(
        CertificationAdmin, "delete_model", refusing(NotPermitted(REFUSED))
    )
    return Case(
        user=org.trainer_a,
        url=reverse("admin:training_certification_delete", args=[cert.pk]),
        data={"post": "yes"},
        models=(Certification,),
        text=REFUSED,
        next_url=reverse("admin:training_certification_change", args=[cert.pk]),
    )


# --- kpi ----------------------------------------------------------------------------


def kpi_add(org, monkeypatch) -> Case:
    call = interaction(staff=org.agent_a, at=local(2026, 11, 3, 10))
    org.qa_inspector_a.is_staff = True
    org.qa_inspector_a.save(update_fields=["is_staff"])
    monkeypatch.setattr(
        kpi_admin,
        "inspection_record",
        refusing(InvalidInput(REFUSED, field="comments")),
    )
    return Case(
        user=org.qa_inspector_a,
        url=reverse("admin:kpi_qualityinspection_add"),
        data={
            "interaction": str(call.pk),
            "staff": "",
            "inspected_at_0": "2026-11-04",
            "inspected_at_1": "10:00:00",
            "comments": "很好",
            **dict.fromkeys(QualityInspection.CHECKLIST, "9"),
        },
        models=(QualityInspection,),
        text=REFUSED,
        field="comments",
    )


def _template_post(template: ScorecardTemplate, **values) -> dict:
    lines = list(template.lines.order_by("pk"))
    data = {
        "role": template.role,
        "name": template.name,
        "is_active": "on",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **values,
    }
    for i, line in enumerate(lines):
        data.update(
            {
                f"lines-{i}-id": line.pk,
                f"lines-{i}-template": template.pk,
                f"lines-{i}-indicator": line.indicator_id,
                f"lines-{i}-weight": str(line.weight),
                f"lines-{i}-target": "" if line.target is None else str(line.target),
            }
        )
    return data


def kpi_change(org, monkeypatch) -> Case:
    template = ScorecardTemplate.objects.filter(lines__isnull=False).first()
    monkeypatch.setattr(
        kpi_admin,
        "scorecard_set_lines",
        refusing(ValidationError({"weight": [REFUSED]})),
    )
    return Case(
        user=org.manager_a,
        url=reverse("admin:kpi_scorecardtemplate_change", args=[template.pk]),
        data=_template_post(template, name="改过的名字"),
        models=(ScorecardTemplate, ScorecardLine),
        text=REFUSED,
    )


def kpi_action(org, monkeypatch) -> Case:
    # kpi has no actions of its own: Django's "delete selected" stands in.
    template = ScorecardTemplate.objects.order_by("pk").first()
    monkeypatch.setattr(
        kpi_admin.ScorecardTemplateAdmin,
        "delete_queryset",
        refusing(NotPermitted(REFUSED)),
    )
    changelist = reverse("admin:kpi_scorecardtemplate_changelist")
    return Case(
        user=org.manager_a,
        url=changelist,
        data={
            "action": "delete_selected",
            "_selected_action": [template.pk],
            "post": "yes",
        },
        models=(ScorecardTemplate, ScorecardLine),
        text=REFUSED,
        next_url=changelist,
    )


def kpi_delete(org, monkeypatch) -> Case:
    template = ScorecardTemplate.objects.order_by("pk").first()
    monkeypatch.setattr(
        kpi_admin.ScorecardTemplateAdmin,
        "delete_model",
        refusing(NotPermitted(REFUSED)),
    )
    return Case(
        user=org.manager_a,
        url=reverse("admin:kpi_scorecardtemplate_delete", args=[template.pk]),
        data={"post": "yes"},
        models=(ScorecardTemplate, ScorecardLine),
        text=REFUSED,
        next_url=reverse("admin:kpi_scorecardtemplate_change", args=[template.pk]),
    )


# --- partners -----------------------------------------------------------------------


def _superuser(org):
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    return org.admin


def partners_add(org, monkeypatch) -> Case:
    partner = PartnerFactory()
    monkeypatch.setattr(
        partner_services, "api_key_create", refusing(ValidationError(REFUSED))
    )
    return Case(
        user=_superuser(org),
        url=reverse("admin:partners_apikey_add"),
        data={"partner": partner.pk, "name": "商城对接", "scopes": ["complaints:read"]},
        models=(ApiKey,),
        text=REFUSED,
    )


def partners_change(org, monkeypatch) -> Case:
    endpoint = WebhookEndpointFactory(url="https://hooks.example.cn/kefu")
    monkeypatch.setattr(
        partner_services,
        "webhook_endpoint_update",
        refusing(InvalidInput(REFUSED, field="url")),
    )
    return Case(
        user=_superuser(org),
        url=reverse("admin:partners_webhookendpoint_change", args=[endpoint.pk]),
        data={
            "partner": endpoint.partner_id,
            "url": endpoint.url,
            "secret": endpoint.secret,
            "events": endpoint.events,
            "description": "改过的说明",
            "is_active": "on",
        },
        models=(WebhookEndpoint,),
        text=REFUSED,
        field="url",
    )


def partners_action(org, monkeypatch) -> Case:
    key, _raw = make_api_key()
    monkeypatch.setattr(
        partner_services, "api_key_revoke", refusing(NotPermitted(REFUSED))
    )
    changelist = reverse("admin:partners_apikey_changelist")
    return Case(
        user=_superuser(org),
        url=changelist,
        data={"action": "revoke_keys", "_selected_action": [key.pk]},
        models=(ApiKey,),
        text=f"{key}: {REFUSED}",
        next_url=changelist,
    )


def partners_delete(org, monkeypatch) -> Case:
    endpoint = WebhookEndpointFactory()
    monkeypatch.setattr(
        partner_services, "webhook_endpoint_delete", refusing(NotPermitted(REFUSED))
    )
    return Case(
        user=_superuser(org),
        url=reverse("admin:partners_webhookendpoint_delete", args=[endpoint.pk]),
        data={"post": "yes"},
        models=(WebhookEndpoint,),
        text=REFUSED,
        next_url=reverse("admin:partners_webhookendpoint_change", args=[endpoint.pk]),
    )


CASES = [
    crm_add,
    crm_change,
    crm_action,
    crm_delete,
    complaints_add,
    complaints_change,
    complaints_action,
    complaints_delete,
    training_add,
    training_change,
    training_action,
    training_delete,
    kpi_add,
    kpi_change,
    kpi_action,
    kpi_delete,
    partners_add,
    partners_change,
    partners_action,
    partners_delete,
]


@pytest.mark.parametrize("make_case", CASES, ids=[c.__name__ for c in CASES])
def test_a_refused_service_call_saves_nothing_and_says_why(
    org, client, monkeypatch, make_case
):
    # given a page whose service refuses
    case = make_case(org, monkeypatch)
    before, logged = rows(*case.models), LogEntry.objects.count()
    client.force_login(case.user)

    # when the staff member submits it
    response = client.post(case.url, case.data)

    # then the refusal is shown, and nothing was saved or logged
    shown = [(m.level, str(m)) for m in get_messages(response.wsgi_request)]
    assert (ERROR, case.text) in shown, shown
    assert rows(*case.models) == before
    assert LogEntry.objects.count() == logged
    if case.next_url is None:  # add and change: the form again, with the error
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert case.text in errors.get(case.field or "__all__", []), errors
        assert response.context["errors"]  # "Please correct the error below."
    else:  # actions and deletes: back to where the staff member came from
        assert response.status_code == 302
        assert response.url == case.next_url


def test_a_form_refused_by_the_service_comes_back_filled_in_and_saves_later(
    org, client, monkeypatch
):
    # given an add page whose service refuses once (e.g. a concurrent change)
    monkeypatch.setattr(
        training_services,
        "certification_issue",
        refusing(InvalidInput(REFUSED, field="qualification")),
    )
    client.force_login(org.trainer_a)
    url = reverse("admin:training_certification_add")
    data = _certification_post(org.agent_a)
    refused = client.post(url, data)
    assert refused.status_code == 200
    # then the form keeps what was typed in
    form = refused.context["adminform"].form
    assert form["number"].value() == "ZG-1"
    assert form["qualification"].value() == "客户服务专员资格证"

    # when it is sent again and the service agrees, it saves (once) and is logged
    monkeypatch.undo()
    response = client.post(url, data)
    assert response.status_code == 302
    cert = Certification.objects.get()
    assert cert.number == "ZG-1" and cert.status == Certification.Status.VALID
    assert LogEntry.objects.filter(object_id=str(cert.pk)).count() == 1


def test_an_action_goes_on_past_a_refused_row(org, client):
    # given one expired (not revocable) and one valid certification
    expired = CertificationFactory(
        staff=org.agent_a, status=Certification.Status.EXPIRED
    )
    valid = CertificationFactory(staff=org.agent_a)
    client.force_login(org.trainer_a)

    # when both are revoked from the list
    response = client.post(
        reverse("admin:training_certification_changelist"),
        {"action": "revoke", "_selected_action": [expired.pk, valid.pk]},
    )

    # then the valid one is revoked, the expired one named in an error message
    assert response.status_code == 302
    expired.refresh_from_db()
    valid.refresh_from_db()
    assert (expired.status, valid.status) == ("expired", "revoked")
    shown = [(m.level, str(m)) for m in get_messages(response.wsgi_request)]
    assert [text for level, text in shown if level == ERROR] == [
        f"{expired}: {refusal_text_of_revoke(org, expired)}"
    ]


def refusal_text_of_revoke(org, cert) -> str:
    return refusal_of(
        lambda: training_services.certification_revoke(
            actor=org.trainer_a, certification=cert
        )
    )


def test_every_kefu_admin_answers_refusals_the_same_way():
    from django.contrib import admin

    from crm.admin_base import ServiceAdminMixin

    ours = {"crm", "complaints", "aftersales", "training", "kpi", "partners"}
    admins = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours
    ]
    assert admins
    assert all(isinstance(a, ServiceAdminMixin) for a in admins), [
        type(a).__name__ for a in admins if not isinstance(a, ServiceAdminMixin)
    ]
