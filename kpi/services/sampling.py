"""Sampling plans (抽样质检): each day, draw a share of every agent's closed
complaints into the QA inspectors' queues.

The draw of a plan on a day looks at the complaints of the plan's team closed
in the plan's period (month or quarter) of the day before, up to the start of
the day (local time), and tops each agent's sample up to
``max(min_per_agent, ceil(rate % × closed))`` (never more than they closed).
Which complaints is decided by a generator seeded with the plan and the date,
over the candidates in id order: the same data and date always give the same
draw. Each sample goes to the plan's inspector with the fewest samples of the
period (ties: the lowest id).

Safe to run twice or concurrently: the plan row is locked for its draw, a
complaint is drawn once per plan (a unique constraint), and a draw that lost
the race to a concurrent one inserts nothing.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint
from crm.notifications import notify_many
from kpi.models import InspectionSample, SamplingPlan
from kpi.periods import bounds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pick:
    complaint_id: int
    staff_id: int
    inspector_id: int


def sample_target(closed: int, *, rate, minimum: int) -> int:
    """How many of ``closed`` complaints an agent's sample holds."""
    if closed <= 0:
        return 0
    return min(closed, max(minimum, math.ceil(closed * rate / 100)))


def sampling_window(plan: SamplingPlan, day: date) -> tuple[str, date, date, datetime]:
    """``(key, start, end, cutoff)``: the plan's period holding the day before
    ``day``, and the local midnight starting ``day`` (closures counted before)."""
    key, start, end = bounds(plan.period, day - timedelta(days=1))
    cutoff = timezone.make_aware(
        datetime.combine(day, time.min), timezone.get_current_timezone()
    )
    return key, start, end, cutoff


def sampling_picks(plan: SamplingPlan, day: date) -> list[Pick]:
    """What the draw of ``plan`` on ``day`` adds, given the samples so far."""
    key, start, end, cutoff = sampling_window(plan, day)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), tz)
    until = min(cutoff, timezone.make_aware(datetime.combine(end, time.min), tz))
    closed = list(
        Complaint.objects.filter(
            team_id=plan.team_id,
            status=Complaint.Status.CLOSED,
            closed_at__gte=since,
            closed_at__lt=until,
            assignee__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "assignee_id")
    )
    # only this window's candidates (not every complaint the plan ever drew)
    drawn = set(
        InspectionSample.objects.filter(
            plan=plan, complaint_id__in=[pk for pk, _staff in closed]
        ).values_list("complaint_id", flat=True)
    )
    period_samples = InspectionSample.objects.filter(plan=plan, period_start=start)
    per_agent = dict(
        period_samples.values_list("staff_id").annotate(n=Count("pk")).order_by()
    )
    inspectors = list(
        plan.inspectors.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not inspectors:
        return []
    load = dict.fromkeys(inspectors, 0)
    load.update(
        (pk, n)
        for pk, n in period_samples.values_list("inspector_id")
        .annotate(n=Count("pk"))
        .order_by()
        if pk in load
    )
    by_agent: dict[int, list[int]] = {}
    for complaint_id, staff_id in closed:
        by_agent.setdefault(staff_id, []).append(complaint_id)
    rng = random.Random(f"kefu-qa:{plan.pk}:{day.isoformat()}")
    picks: list[Pick] = []
    for staff_id in sorted(by_agent):
        complaints = by_agent[staff_id]
        target = sample_target(
            len(complaints), rate=plan.rate, minimum=plan.min_per_agent
        )
        need = target - per_agent.get(staff_id, 0)
        pool = [pk for pk in complaints if pk not in drawn]
        if need <= 0 or not pool:
            continue
        for complaint_id in sorted(rng.sample(pool, min(need, len(pool)))):
            inspector = min(inspectors, key=lambda pk: (load[pk], pk))
            load[inspector] += 1
            picks.append(Pick(complaint_id, staff_id, inspector))
    return picks


def sampling_record(plan: SamplingPlan, day: date, picks: list[Pick]) -> int:
    """Insert ``picks`` as samples in one go; 0 if a concurrent draw already
    took any of them (the whole batch is then left to that draw)."""
    if not picks:
        return 0
    key, start, _end, _cutoff = sampling_window(plan, day)
    try:
        with transaction.atomic():
            InspectionSample.objects.bulk_create(
                InspectionSample(
                    plan=plan,
                    period_key=key,
                    period_start=start,
                    complaint_id=pick.complaint_id,
                    staff_id=pick.staff_id,
                    team_id=plan.team_id,
                    inspector_id=pick.inspector_id,
                    drawn_on=day,
                )
                for pick in picks
            )
    except IntegrityError:
        return 0
    return len(picks)


def sampling_draw(*, plan: SamplingPlan, day: date) -> int:
    """Draw ``plan``'s samples of ``day`` (once: a second run adds nothing) and
    tell each inspector who received some; returns how many were drawn."""
    with transaction.atomic():
        plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
        if not plan.is_active:
            return 0
        picks = sampling_picks(plan, day)
        drawn = sampling_record(plan, day, picks)
        if drawn:
            _tell_inspectors(plan, day, picks)
    return drawn


def _tell_inspectors(plan: SamplingPlan, day: date, picks: list[Pick]) -> None:
    counts: dict[int, int] = {}
    for pick in picks:
        counts[pick.inspector_id] = counts.get(pick.inspector_id, 0) + 1
    notify_many(
        [
            {
                "recipient": inspector,
                "kind": "qa_samples_drawn",
                "title": _("%(count)s complaints to inspect (%(plan)s)")
                % {"count": counts[inspector.pk], "plan": plan.name},
                "link": "/admin/kpi/inspectionsample/?pending=1",
                "key": f"qa:samples:{plan.pk}:{day.isoformat()}:{inspector.pk}",
            }
            for inspector in plan.inspectors.filter(pk__in=counts)
        ]
    )


def sampling_draw_due(*, today: date | None = None) -> int:
    """The daily job: draw every active plan for ``today`` (local date)."""
    today = today or timezone.localdate()
    total = 0
    for plan in SamplingPlan.objects.filter(is_active=True).order_by("pk"):
        total += sampling_draw(plan=plan, day=today)
    return total
