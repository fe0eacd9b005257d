"""Reads of complaints for the API, pages and KPI (house style rule 4): first
narrow to what the reader may see, then filter, then join."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from complaints.models import Complaint, ComplaintEvent, SatisfactionSurvey, SlaTarget
from crm import scoping

LIST_RELATED = ("customer", "category", "subcategory", "assignee", "team")


def complaints_for_user(user) -> QuerySet[Complaint]:
    """Complaints a staff member may see (archived ones excluded)."""
    qs = scoping.visible_to(user, Complaint.objects.filter(is_archived=False))
    return qs.select_related(*LIST_RELATED)


def complaints_for_partner(partner) -> QuerySet[Complaint]:
    """Complaints a partner organisation submitted."""
    return scoping.visible_to_partner(partner, Complaint.objects.all()).select_related(
        *LIST_RELATED
    )


def complaint_timeline(
    complaint: Complaint, *, customer_visible_only: bool = False
) -> QuerySet[ComplaintEvent]:
    """The events of a complaint, oldest first (customer-visible ones for the
    partner API)."""
    qs = complaint.events.select_related("actor").order_by("created_at", "pk")
    if customer_visible_only:
        qs = qs.filter(customer_visible=True)
    return qs


def sla_targets(complaints: QuerySet[Complaint] | None = None) -> QuerySet[SlaTarget]:
    """SLA clocks (optionally of a set of complaints), excluding cancelled ones:
    met on time ⇔ ``met_at <= due_at``; breached ⇔ ``breached_at`` set."""
    qs = SlaTarget.objects.filter(cancelled_at__isnull=True)
    if complaints is not None:
        qs = qs.filter(complaint__in=complaints)
    return qs


def sla_due(complaint: Complaint) -> dict[str, str | None]:
    """The due times of a complaint as ISO strings (API ``sla`` object)."""
    fields = (
        "first_response_due_at",
        "analysis_due_at",
        "reply_due_at",
        "resolution_due_at",
        "confirmation_due_at",
    )
    return {
        f.removesuffix("_at"): (v.isoformat() if (v := getattr(complaint, f)) else None)
        for f in fields
    }


def attachment_for_download(*, user, pk: int):
    """The attachment ``pk`` if ``user`` may download it, else None: the user
    may view attachments and the complaint is in their scope (crm.scoping)."""
    from complaints.models import ComplaintAttachment

    if not user.has_perm("complaints.view_complaintattachment"):
        return None
    visible = scoping.visible_to(user, Complaint.objects.all())
    return (
        ComplaintAttachment.objects.filter(pk=pk, complaint__in=visible)
        .select_related("complaint")
        .first()
    )


# --- KPI sources ------------------------------------------------------------------
# The rows each KPI indicator counts for a period (kpi.measures). Unscoped: the
# snapshot measures every row once; readers see the results through crm.scoping
# on KpiResult, and a drill-down narrows these rows to a subject. Rejected
# complaints (duplicates, spam, not a complaint) count for no indicator.


def complaints_received_between(*, start, end) -> QuerySet[Complaint]:
    """Complaints received in [start, end), rejected ones left out."""
    return Complaint.objects.filter(
        received_at__gte=start, received_at__lt=end
    ).exclude(status=Complaint.Status.REJECTED)


def complaints_first_resolved_between(*, start, end) -> QuerySet[Complaint]:
    """Complaints first resolved in [start, end), rejected ones left out."""
    return Complaint.objects.filter(
        first_resolved_at__gte=start, first_resolved_at__lt=end
    ).exclude(status=Complaint.Status.REJECTED)


def sla_targets_fallen_due(
    *, start, end, targets: QuerySet[SlaTarget] | None = None
) -> QuerySet[SlaTarget]:
    """SLA clocks due in [start, end) (``end`` no later than now: a clock falls
    due once its due time has passed), of ``targets`` if given.

    Cancelled clocks (rejected or closed complaint, a confirmation superseded by
    a reopen) count neither way; a clock paused on hold and not yet met has not
    fallen due (its due time moves when the complaint resumes); clocks of
    rejected complaints are left out.
    """
    qs = SlaTarget.objects.all() if targets is None else targets
    return (
        qs.filter(due_at__gte=start, due_at__lt=end, cancelled_at__isnull=True)
        .filter(Q(met_at__isnull=False) | Q(paused_at__isnull=True))
        .exclude(complaint__status=Complaint.Status.REJECTED)
    )


def surveys_answered_between(*, start, end) -> QuerySet[SatisfactionSurvey]:
    """Satisfaction surveys answered in [start, end)."""
    return SatisfactionSurvey.objects.filter(
        answered_at__gte=start, answered_at__lt=end
    )
