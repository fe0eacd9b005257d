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


# --- the customer 360 --------------------------------------------------------------


def _aside(html: str) -> str:
    start = html.index('id="customer-360"')
    return html[start : html.index("</aside>", start)]


def _history(org, customer, n: int):
    """``n`` earlier complaints of ``customer`` in team A (resolved), a planned
    and a done revisit, an interaction and an answered survey."""
    from complaints.models import SatisfactionSurvey
    from crm.models import Revisit
    from tests.factories.crm import InteractionFactory, RevisitFactory

    earlier = []
    for _ in range(n):
        e = make_complaint(actor=org.supervisor_a, customer=customer)
        walk(e, "resolved", actor=org.supervisor_a)
        earlier.append(e)
    SatisfactionSurvey.objects.filter(complaint=earlier[0]).update(
        csat=4, nps=9, comment="很满意", answered_at=timezone.now()
    )
    RevisitFactory(
        customer=customer,
        assignee=org.relations_specialist_a,
        purpose=Revisit.Purpose.SATISFACTION,
    )
    RevisitFactory(customer=customer, status=Revisit.Status.DONE)
    InteractionFactory(customer=customer, staff=org.agent_a, summary="来电催件")
    return earlier


def test_customer_360_shows_tier_history_revisits_interactions_and_surveys(org, client):
    from crm.models import Customer, PersonalDataAccess
    from tests.factories import CustomerFactory

    customer = CustomerFactory(
        department=org.dept_a, tier=Customer.Tier.KEY, phone="+8613912345678"
    )
    earlier = _history(org, customer, 2)
    current = make_complaint(actor=org.supervisor_a, customer=customer)
    client.force_login(org.supervisor_a)
    aside = _aside(client.get(change_url(current)).content.decode())
    assert customer.get_tier_display() in aside and customer.code in aside
    # a supervisor works with personal data: shown in full, and the view logged
    assert "+8613912345678" in aside
    assert (
        PersonalDataAccess.objects.filter(
            actor=org.supervisor_a, customer=customer, action="view"
        ).count()
        == 1
    )
    assert "以往投诉（2）" in aside
    for e in earlier:
        assert reverse("admin:complaints_complaint_change", args=[e.pk]) in aside
    assert current.reference not in aside
    assert aside.count("已解决") == 2 and "重新派送" in aside
    assert (
        'id="c360-revisits"' in aside
        and aside.count("<li>", aside.index("c360-revisits")) >= 1
    )
    assert "来电催件" in aside
    assert "满意度 4/5" in aside and "推荐意愿 9/10" in aside and "很满意" in aside


def test_customer_360_masks_contact_details_for_qa(org, client):
    from crm.models import PersonalDataAccess
    from tests.factories import CustomerFactory

    customer = CustomerFactory(department=org.dept_a, phone="+8613912345678")
    current = make_complaint(actor=org.supervisor_a, customer=customer)
    client.force_login(org.qa_inspector_a)
    response = client.get(change_url(current))
    assert response.status_code == 200
    aside = _aside(response.content.decode())
    assert "+8613912345678" not in aside
    assert customer.phone_masked in aside
    assert not PersonalDataAccess.objects.filter(actor=org.qa_inspector_a).exists()


def test_customer_360_lists_only_what_the_reader_may_see(org, client):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(department=org.dept_a)
    seen = make_complaint(actor=org.supervisor_a, customer=customer)
    hidden = make_complaint(actor=org.admin, customer=customer)
    # registered by an administrator and handed to department B: out of
    # supervisor A's sight
    complaint_assign(actor=org.admin, complaint=hidden, assignee=org.agent_b)
    current = make_complaint(actor=org.supervisor_a, customer=customer)
    client.force_login(org.supervisor_a)
    aside = _aside(client.get(change_url(current)).content.decode())
    assert seen.reference in aside and hidden.reference not in aside
    assert "以往投诉（1）" in aside
    client.force_login(org.admin)
    aside = _aside(client.get(change_url(current)).content.decode())
    assert seen.reference in aside and hidden.reference in aside
    assert "以往投诉（2）" in aside


def test_change_page_query_count_does_not_grow_with_the_history(
    org, client, django_assert_num_queries, django_assert_max_num_queries
):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(department=org.dept_a)
    _history(org, customer, 1)
    current = make_complaint(actor=org.supervisor_a, customer=customer)
    client.force_login(org.supervisor_a)
    client.get(change_url(current))  # warm caches (content types, session)
    with django_assert_max_num_queries(40) as small:
        client.get(change_url(current))
    _history(org, customer, 8)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(change_url(current))
    aside = _aside(response.content.decode())
    assert "以往投诉（9）" in aside
    assert aside[aside.index("c360-complaints") :].split("</ul>")[0].count("<li>") == 5
