"""Issue 3: the admin has autocomplete for customer and assignee."""

import pytest
from django.urls import reverse

from complaints.admin import ComplaintAdmin
from tests.factories.complaints import make_complaint

pytestmark = pytest.mark.django_db
LIST = reverse("admin:complaints_complaint_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


def test_customer_is_an_autocomplete_field():
    assert "customer" in ComplaintAdmin.autocomplete_fields


def test_assignee_is_searched_as_you_type(org, client):
    complaint = make_complaint(actor=org.agent_a)
    client.force_login(org.supervisor_a)
    # the assign action and the workflow panel render an autocomplete select
    page = client.post(
        LIST, {"action": "assign_selected", "_selected_action": [complaint.pk]}
    ).content.decode()
    assert "admin-autocomplete" in page and "select2" in page
    panel = client.get(
        reverse("admin:complaints_complaint_workflow", args=[complaint.pk])
    ).content.decode()
    assert "admin-autocomplete" in panel

    # the autocomplete answers with staff in the supervisor's scope
    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "complaints",
            "model_name": "complaint",
            "field_name": "assignee",
            "term": org.agent_a.username[:4],
        },
    )
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert str(org.agent_a.pk) in ids
    assert str(org.agent_b.pk) not in ids

    # choosing someone outside the scope is refused by the form
    client.post(
        LIST,
        {
            "action": "assign_selected",
            "_selected_action": [complaint.pk],
            "apply": "1",
            "assignee": org.agent_b.pk,
        },
    )
    complaint.refresh_from_db()
    assert complaint.assignee != org.agent_b
