"""Factories and builders for KPI tests (import from here, not tests.factories)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kpi.models import KpiPeriod, QualityInspection
from kpi.periods import period_for
from kpi.services.inspections import inspection_record


def local(*args) -> datetime:
    """An aware datetime in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime(*args), timezone.get_current_timezone())


def month(year: int, month_no: int) -> KpiPeriod:
    return period_for(KpiPeriod.Kind.MONTH, datetime(year, month_no, 1).date())


def interaction(*, staff, at: datetime):
    """A logged phone call by ``staff`` (something a QA inspector can sample)."""
    from crm.models import Interaction
    from tests.factories import CustomerFactory

    return Interaction.objects.create(
        customer=CustomerFactory(department=staff.department),
        channel="phone",
        direction="inbound",
        occurred_at=at,
        staff=staff,
        summary="客户来电咨询快件进度",
    )


def inspection(*, inspector, staff, at: datetime, score: int = 10, **overrides):
    """An inspection of one of ``staff``'s calls; every item scores ``score``
    unless overridden."""
    scores = dict.fromkeys(QualityInspection.CHECKLIST, score)
    scores.update(overrides)
    return inspection_record(
        actor=inspector,
        interaction=interaction(staff=staff, at=at),
        scores=scores,
        inspected_at=at,
    )


def policy_24x7(**overrides):
    """A round-the-clock SLA policy for letters, so business minutes = minutes.

    First response 30 min, analysis 2 h, reply 48 h, resolution 48 h,
    confirmation 24 h.
    """
    from tests.factories.complaints import SlaPolicyFactory

    values = {
        "code": "kpi-24x7",
        "channel": "letter",
        "is_24x7": True,
        "calendar": None,
        "first_response_minutes": 30,
        "analysis_minutes": 120,
        "reply_minutes": 2880,
        "resolution_minutes": 2880,
        "confirmation_minutes": 1440,
        "sort_order": 0,
    }
    values.update(overrides)
    return SlaPolicyFactory(**values)


def complaint_story(
    *,
    agent,
    lead,
    received: datetime,
    assignee=None,
    respond: datetime | None = None,
    hold: tuple[datetime, datetime | None] | None = None,
    analyse: tuple[datetime, datetime] | None = None,
    handle: datetime | None = None,
    reply: datetime | None = None,
    resolve: datetime | None = None,
    reopen: datetime | None = None,
    handle_again: datetime | None = None,
    reply_again: datetime | None = None,
    resolve_again: datetime | None = None,
    survey: tuple[datetime, int, int | None] | None = None,
    reject: datetime | None = None,
    category: str = "service_quality",
    attributed_staff=None,
):
    """Play one complaint through the real complaints services at given instants.

    ``agent`` receives it (so it lands in the agent's team) and works it;
    ``lead`` (a supervisor) assigns, resolves and reopens. Steps left None are
    skipped. Returns the complaint re-read from the database.
    """
    from complaints import services as cs
    from complaints.models import Complaint
    from complaints.services.clock import at
    from tests.factories.complaints import make_complaint

    with at(received):
        complaint = make_complaint(
            actor=agent,
            channel="letter",
            category=category,
            received_at=received,
            attributed_staff=attributed_staff,
        )
        cs.complaint_assign(actor=lead, complaint=complaint, assignee=assignee or agent)
    worker = assignee or agent

    def step(moment, service, **kwargs):
        if moment is None:
            return
        with at(moment):
            fresh = Complaint.objects.get(pk=complaint.pk)
            service(complaint=fresh, **kwargs)

    step(reject, cs.complaint_reject, actor=lead, reason="重复投诉")
    step(respond, cs.complaint_reply, actor=worker, body="您好，已收到您的投诉。")
    if hold:
        step(hold[0], cs.complaint_hold, actor=worker, reason="等待客户提供单号")
        step(hold[1], cs.complaint_resume, actor=worker)
    if analyse:
        step(analyse[0], cs.complaint_start_analysis, actor=worker)
        step(
            analyse[1],
            cs.complaint_record_analysis,
            actor=worker,
            cause_hypothesis="派送员操作失误",
        )
    step(handle, cs.complaint_start_handling, actor=worker)
    step(
        reply,
        cs.complaint_reply,
        actor=worker,
        body="感谢您的反馈，已为您重新派送，我们会再次与您联系确认。",
    )
    step(resolve, cs.complaint_resolve, actor=lead, resolution_type="apology")
    step(reopen, cs.complaint_reopen, actor=lead, reason="客户不满意")
    step(handle_again, cs.complaint_start_handling, actor=worker)
    step(
        reply_again,
        cs.complaint_reply,
        actor=worker,
        body="感谢您的耐心，已为您再次处理，我们会跟进到您满意。",
    )
    step(resolve_again, cs.complaint_resolve, actor=lead, resolution_type="redelivery")
    if survey:  # the answer about the latest resolution
        step(
            survey[0],
            cs.survey_record_answer,
            actor=lead,
            csat=survey[1],
            nps=survey[2],
        )
    return Complaint.objects.get(pk=complaint.pk)


@pytest.fixture
def complaint_links(monkeypatch):
    """Until the complaints admin is merged, ``Complaint.get_absolute_url`` (used
    in assignment notifications) has no admin route to reverse; give it one."""
    from complaints.models import Complaint

    try:
        reverse("admin:complaints_complaint_changelist")
    except NoReverseMatch:
        monkeypatch.setattr(
            Complaint, "get_absolute_url", lambda self: f"/complaints/{self.pk}/"
        )
