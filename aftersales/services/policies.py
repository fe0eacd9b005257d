"""Return / exchange / warranty windows (``ReturnPolicy`` rows), by local date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ReturnPolicy


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def policy_for(*, kind: str, product_category: str) -> ReturnPolicy | None:
    """The category's own row, else the default row (category "")."""
    rows = {
        p.product_category: p
        for p in ReturnPolicy.objects.filter(
            kind=kind, product_category__in={product_category or "", ""}
        )
    }
    return rows.get(product_category or "") or rows.get("")


@dataclass(frozen=True)
class PolicyBreach:
    field: str
    message: str
    code: str


def last_day(policy: ReturnPolicy, purchase_date: date) -> date | None:
    """The last local date on which the policy still accepts a request."""
    if policy.window_days is not None:
        return date.fromordinal(purchase_date.toordinal() + policy.window_days)
    if policy.warranty_months is not None:
        return add_months(purchase_date, policy.warranty_months)
    return None


def policy_check(
    *,
    kind: str,
    product_category: str = "",
    purchase_date: date | None,
    quality_problem: bool = False,
    today: date | None = None,
) -> PolicyBreach | None:
    """None when the request is inside its policy, else what breaks it.

    A 7-day window means: bought on day D (local date, Asia/Shanghai), the
    request is accepted up to and including day D + 7.
    """
    policy = policy_for(kind=kind, product_category=product_category)
    if policy is None:
        return None
    if policy.quality_problem_required and not quality_problem:
        return PolicyBreach(
            "quality_problem",
            _("This service is only offered for a quality problem."),
            "policy_quality_required",
        )
    if purchase_date is None:
        return PolicyBreach(
            "purchase_date",
            _("The purchase date is required for this service."),
            "required",
        )
    today = today or timezone.localdate()
    if purchase_date > today:
        return PolicyBreach(
            "purchase_date",
            _("The purchase date lies in the future."),
            "invalid",
        )
    deadline = last_day(policy, purchase_date)
    if deadline is not None and today > deadline:
        return PolicyBreach(
            "purchase_date",
            _("Outside the policy window: requests were accepted until %(day)s.")
            % {"day": deadline.isoformat()},
            "policy_window",
        )
    return None
