"""Service-standard audits (季度/半年度审核): the plan's cadence opens one audit
per period; the auditor starts it, records findings against the checklist, a
lead raises a corrective action (CAPA) for a finding, and the audit is reported
once every major or critical finding has one.

Who: the audit's auditor, a manager of the audit's department, or an
administrator (``_require_auditor``); raising a CAPA follows the CAPA rules
(``complaints.services.capa_create``: resolvers and leads, the owner a
colleague). Every change locks the audit row and checks its version; each
runs in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import CorrectiveAction
from complaints.services.capa import capa_create
from config.errors import IllegalTransition, InvalidInput, NotPermitted, VersionConflict
from crm import scoping
from crm.notifications import notify
from crm.roles import Role
from kpi.models import AuditFinding, AuditPlan, ServiceAudit
from kpi.periods import bounds

AS = ServiceAudit.Status
SEVERE = (AuditFinding.Severity.MAJOR, AuditFinding.Severity.CRITICAL)


def audit_period(cadence: str, day: date) -> tuple[str, date, date]:
    """``(key, start, end)`` of the quarter or half-year holding ``day``."""
    if cadence == AuditPlan.Cadence.QUARTERLY:
        return bounds("quarter", day)
    if day.month <= 6:
        return f"{day.year}-H1", date(day.year, 1, 1), date(day.year, 7, 1)
    return f"{day.year}-H2", date(day.year, 7, 1), date(day.year + 1, 1, 1)


def audits_open_due(*, today: date | None = None) -> int:
    """Open this period's audit of every active plan that has none yet and tell
    its auditor (once). Safe to run twice or concurrently: one audit per plan
    and period (a unique constraint), one notification per audit."""
    today = today or timezone.localdate()
    opened = 0
    plans = AuditPlan.objects.filter(is_active=True).select_related("auditor")
    for plan in plans:
        key, start, end = audit_period(plan.cadence, today)
        if ServiceAudit.objects.filter(plan=plan, period_start=start).exists():
            continue
        try:
            with transaction.atomic():
                audit = ServiceAudit.objects.create(
                    plan=plan,
                    period_key=key,
                    period_start=start,
                    period_end=end,
                    department_id=plan.department_id,
                    team_id=plan.team_id,
                    auditor=plan.auditor,
                    checklist=plan.checklist,
                    opened_at=timezone.now(),
                )
                notify(
                    recipient=plan.auditor,
                    kind="audit_opened",
                    title=_("Service-standard audit to do: %(audit)s")
                    % {"audit": f"{plan.name} · {key}"},
                    body=_("Due by the end of %(period)s.") % {"period": key},
                    link=f"/admin/kpi/serviceaudit/{audit.pk}/change/",
                    key=f"audit:{audit.pk}:opened",
                )
        except IntegrityError:
            continue  # a concurrent run opened it
        opened += 1
    return opened


def _lock(audit: ServiceAudit, version: int | None) -> ServiceAudit:
    locked = ServiceAudit.objects.select_for_update().get(pk=audit.pk)
    if version is not None and locked.version != version:
        raise VersionConflict(
            _(
                "The audit was changed by someone else (version %(current)s, "
                "yours %(yours)s). Reload and try again."
            )
            % {"current": locked.version, "yours": version}
        )
    return locked


def may_work_on(actor, audit: ServiceAudit) -> bool:
    """The auditor, a manager of the audit's department, or an administrator."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if scoping.sees_everything(actor) or actor.pk == audit.auditor_id:
        return True
    return (
        scoping.has_role(actor, Role.MANAGER)
        and actor.department_id == audit.department_id
    )


def _require_auditor(actor, audit: ServiceAudit) -> None:
    if not may_work_on(actor, audit):
        raise NotPermitted(
            _("Only the auditor or a manager of the department may do this.")
        )


def _require_status(audit: ServiceAudit, allowed, action: str) -> None:
    if audit.status not in allowed:
        raise IllegalTransition(
            _("Cannot %(action)s an audit that is %(status)s.")
            % {"action": action, "status": audit.get_status_display()}
        )


def _save(audit: ServiceAudit, fields: list[str]) -> None:
    audit.version += 1
    audit.save(update_fields=[*fields, "version"])


@transaction.atomic
def audit_start(*, actor, audit: ServiceAudit, version: int | None = None):
    """open → in progress."""
    locked = _lock(audit, version)
    _require_auditor(actor, locked)
    _require_status(locked, {AS.OPEN}, _("start"))
    locked.status = AS.IN_PROGRESS
    locked.started_at = timezone.now()
    _save(locked, ["status", "started_at"])
    return locked


@transaction.atomic
def audit_add_finding(
    *,
    actor,
    audit: ServiceAudit,
    item: str,
    severity: str,
    description: str,
    version: int | None = None,
) -> AuditFinding:
    """Record a nonconformity against one item of the audit's checklist."""
    locked = _lock(audit, version)
    _require_auditor(actor, locked)
    _require_status(locked, {AS.IN_PROGRESS}, _("record findings of"))
    item = (item or "").strip()
    if item not in locked.checklist_items():
        raise InvalidInput(_("Choose an item of the audit's checklist."), field="item")
    if severity not in AuditFinding.Severity.values:
        raise InvalidInput(_("Choose a severity."), field="severity")
    if not (description or "").strip():
        raise InvalidInput(_("Describe the finding."), field="description")
    finding = AuditFinding.objects.create(
        audit=locked,
        item=item,
        severity=severity,
        description=description.strip(),
        recorded_by=actor,
        created_at=timezone.now(),
    )
    _save(locked, [])
    return finding


@transaction.atomic
def audit_raise_capa(
    *, actor, finding: AuditFinding, owner, due_date: date, action: str
) -> CorrectiveAction:
    """Draft the corrective action of a finding (the CAPA rules apply: who may
    create one, the owner a colleague, the due date not in the past)."""
    finding = AuditFinding.objects.select_for_update().get(pk=finding.pk)
    audit = _lock(finding.audit, None)
    _require_auditor(actor, audit)
    if finding.capa_id is not None:
        raise IllegalTransition(_("This finding already has a corrective action."))
    capa = capa_create(
        actor=actor,
        title=_("Audit %(period)s: %(item)s")
        % {"period": audit.period_key, "item": finding.item},
        root_cause=finding.description,
        action=action,
        owner=owner,
        due_date=due_date,
    )
    finding.capa = capa
    finding.save(update_fields=["capa"])
    _save(audit, [])
    return capa


@transaction.atomic
def audit_report(
    *, actor, audit: ServiceAudit, summary: str, version: int | None = None
) -> ServiceAudit:
    """in progress → reported, with the summary and conclusion; every major or
    critical finding must have its corrective action first."""
    locked = _lock(audit, version)
    _require_auditor(actor, locked)
    _require_status(locked, {AS.IN_PROGRESS}, _("report"))
    if not (summary or "").strip():
        raise InvalidInput(_("Write the summary and conclusion."), field="summary")
    if locked.findings.filter(severity__in=SEVERE, capa__isnull=True).exists():
        raise InvalidInput(
            _("Every major or critical finding needs a corrective action first."),
            field="summary",
        )
    locked.status = AS.REPORTED
    locked.summary = summary.strip()
    locked.reported_at = timezone.now()
    _save(locked, ["status", "summary", "reported_at"])
    return locked


# The steps people take on the audit's page: name → label.
AUDIT_ACTIONS = {
    "start": gettext_lazy("Start the audit"),
    "finding": gettext_lazy("Record a finding"),
    "capa": gettext_lazy("Raise a corrective action"),
    "report": gettext_lazy("Report"),
}


def audit_actions_for(actor, audit: ServiceAudit) -> list[str]:
    if not may_work_on(actor, audit):
        return []
    if audit.status == AS.OPEN:
        return ["start"]
    if audit.status == AS.IN_PROGRESS:
        return ["finding", "capa", "report"]
    return []
