"""The monthly reporting pack: e-mailed to every manager once per month.

``kpi_send_monthly_reports`` (beat, the 1st of each month after the nightly
snapshots) makes sure last month is computed, then raises one notification per
manager with the month's headline figures of their department, the link to the
pack (``/kpi/report/``) and the pack itself: the XLSX workbook of their
department (``kpi.reports.report_pack``, built as that manager may see it)
attached to the e-mail, which goes out through the notification outbox
(``crm.notification_emails``: leased, sent once, attempts counted per started
send). The notification key names the month and the manager, so the job sends
each pack once however often it runs (twice, concurrently, or again after a
crash); a re-run skips the managers already served before building anything.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.notifications import EmailAttachment, notification_raised, notify
from kpi import selectors
from kpi.models import KpiPeriod, SubjectType
from kpi.periods import period_for
from kpi.reports import filename, last_complete_month, report_pack
from kpi.selectors import Scope
from kpi.services.compute import kpi_compute_period

# The figures quoted in the e-mail (the pack has them all).
HEADLINES = (
    "resolution_rate",
    "sla_compliance_rate",
    "reply_4h_rate",
    "csat_avg",
    "capa_on_time_rate",
)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _figure(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.1'))}"


def report_key(period: KpiPeriod, user) -> str:
    return f"kpi:report:{period.key}:{user.pk}"


def kpi_send_monthly_reports(*, today: date | None = None) -> int:
    """E-mail last month's pack to each manager once; returns how many
    notifications this call raised (0 on a re-run)."""
    today = today or timezone.localdate()
    _key, first = last_complete_month(today)
    period = period_for(KpiPeriod.Kind.MONTH, first)
    if period.computed_at is None:
        kpi_compute_period(actor=None, period=period)
        period.refresh_from_db()
    names = {i.code: i for i in selectors.indicators()}
    raised = 0
    for manager in selectors.report_recipients():
        key = report_key(period, manager)
        if notification_raised(key):
            continue  # served by an earlier run: do not build the pack again
        department = manager.department
        scope = Scope(SubjectType.DEPARTMENT, department.pk, department.name)
        results = selectors.subject_results(
            manager, period, scope.subject_type, scope.subject_id
        )
        lines = [
            f"{names[code].name}: {_figure(results[code].value if code in results else None)}"
            f" {names[code].get_unit_display()}"
            for code in HEADLINES
            if code in names
        ]
        link = f"{reverse('kpi:report')}?period={period.key}&scope={scope.key}"
        # No e-mail, nothing to attach to; a pack over the cap goes as the link
        # only (mail servers refuse large messages; the file stays downloadable).
        pack = report_pack(manager, period, scope) if manager.email else b""
        if len(pack) > settings.KEFU_REPORT_ATTACHMENT_MAX_BYTES:
            pack = b""
        _row, created = notify(
            recipient=manager,
            kind="kpi_monthly_report",
            title=_("Service KPI report of %(department)s for %(period)s")
            % {"department": department.name, "period": period.key},
            body="\n".join(lines),
            link=link,
            key=key,
            attachments=[
                EmailAttachment(
                    filename=filename(period, scope), content=pack, content_type=XLSX
                )
            ]
            if pack
            else [],
        )
        raised += created
    return raised
