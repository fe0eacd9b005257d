"""Issue 3 "Done when": the admin shows the lifecycle in Chinese with the demo
data — every status, SLA state, timeline — for a supervisor and a manager."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from complaints.models import Complaint
from crm.models import User

pytestmark = pytest.mark.django_db
LIST = reverse("admin:complaints_complaint_changelist")


@pytest.mark.parametrize("username", ["supervisor01", "manager01"])
def test_demo_complaints_in_the_admin_in_chinese(client, username):
    call_command(
        "seed_demo",
        stdout=StringIO(),
        customers=30,
        complaints=60,
        skip=["training", "kpi"],
    )
    user = User.objects.get(username=username)
    client.force_login(user)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-hans"' in html
    assert "投诉" in html and "状态" in html
    visible = Complaint.objects.filter(pk__in=page.context["cl"].result_list)
    assert visible.exists()
    # filters by status and SLA breached render
    for query in ("?status__exact=resolved", "?status__exact=received"):
        assert client.get(LIST + query).status_code == 200
    complaint = visible.filter(events__kind="status_changed").first() or visible[0]
    change = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    ).content.decode()
    assert complaint.reference in change
    assert "已受理" in change or "受理" in change  # status / timeline labels
