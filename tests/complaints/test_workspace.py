"""The complaint workspace on the change page: the header (reference, status,
severity, the next SLA due in Asia/Shanghai with a live countdown, assignee)
and the customer 360 beside it, scoped and at a constant query count."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import workspace
from complaints.models import Complaint
from complaints.services import complaint_assign
from tests.factories.complaints import make_complaint, walk

pytestmark = pytest.mark.django_db


def change_url(c):
    return reverse("admin:complaints_complaint_change", args=[c.pk])


def _header(html: str) -> str:
    start = html.index('id="workspace-header"')
    return html[start : html.index("</div>", start)]


def test_next_due_is_the_earliest_unmet_clock():
    c = Complaint(
        status=Complaint.Status.ANALYZING,
        first_response_due_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC),
        first_response_at=datetime(2026, 6, 1, 0, 50, tzinfo=UTC),
        analysis_due_at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
        reply_due_at=datetime(2026, 6, 3, 0, 0, tzinfo=UTC),
    )
    now = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
    due = workspace.next_due(c, now=now)
    assert (str(due.clock), due.due, due.overdue) == (
        "初步分析",
        datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
        True,
    )
    c.analyzed_at = now
    due = workspace.next_due(c, now=now)
    assert (str(due.clock), due.overdue) == ("答复", False)
    c.status = Complaint.Status.CLOSED
    assert workspace.next_due(c, now=now) is None


def test_change_page_header_shows_reference_status_severity_due_and_assignee(
    org, client
):
    c = make_complaint(actor=org.supervisor_a, severity="urgent")
    complaint_assign(actor=org.supervisor_a, complaint=c, assignee=org.agent_a)
    c.refresh_from_db()
    client.force_login(org.supervisor_a)
    html = client.get(change_url(c)).content.decode()
    header = _header(html)
    local = timezone.localtime(c.first_response_due_at, timezone=None)
    assert c.reference in header
    assert f'data-status="received">{c.get_status_display()}</span>' in header
    assert "紧急" in header and 'class="sev-urgent"' in header
    assert "首次响应" in header
    assert local.strftime("%Y-%m-%d %H:%M") in header
    assert f'data-due="{local.isoformat()}"' in header
    assert org.agent_a.get_full_name() in header and org.team_a.name in header
    assert "setInterval(tick" in html  # the live countdown


def test_header_times_are_shanghai_time(org, client):
    c = make_complaint(actor=org.supervisor_a)
    Complaint.objects.filter(pk=c.pk).update(
        first_response_due_at=datetime(2026, 6, 15, 23, 30, tzinfo=UTC)
    )
    client.force_login(org.supervisor_a)
    header = _header(client.get(change_url(c)).content.decode())
    assert "2026-06-16 07:30" in header
    assert 'data-due="2026-06-16T07:30:00+08:00"' in header


def test_header_of_an_unassigned_and_of_a_closed_complaint(org, client):
    c = make_complaint(actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    header = _header(client.get(change_url(c)).content.decode())
    assert "未指派 · " + org.team_a.name in header
    walk(c, "closed", actor=org.supervisor_a)
    header = _header(client.get(change_url(c)).content.decode())
    assert "无进行中的时限" in header and "countdown" not in header


def test_workflow_panel_shows_the_same_header(org, client):
    c = make_complaint(actor=org.supervisor_a)
    client.force_login(org.supervisor_a)
    url = reverse("admin:complaints_complaint_workflow", args=[c.pk])
    header = _header(client.get(url).content.decode())
    assert c.reference in header and "首次响应" in header


def test_header_countdown_label_while_paused(org, client):
    c = make_complaint(actor=org.supervisor_a)
    Complaint.objects.filter(pk=c.pk).update(sla_paused=True)
    client.force_login(org.supervisor_a)
    header = _header(client.get(change_url(c)).content.decode())
    assert "已暂停" in header and "countdown" not in header
