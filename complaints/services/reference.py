"""Human-readable complaint references: ``TS`` + YYYYMMDD + daily sequence."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from complaints.models import ReferenceCounter

PREFIX = "TS"


def format_reference(day: date, number: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}{number:04d}"


@transaction.atomic
def reference_next(*, day: date | None = None) -> str:
    """Issue the next reference of ``day`` (local today by default).

    Race-free: the day's counter row is created once (a concurrent creator loses
    on the unique constraint and retries the read) and then incremented under a
    row lock, so two transactions never get the same number.
    """
    day = day or timezone.localdate()
    ReferenceCounter.objects.get_or_create(day=day)
    ReferenceCounter.objects.filter(day=day).update(last_value=F("last_value") + 1)
    number = ReferenceCounter.objects.values_list("last_value", flat=True).get(day=day)
    return format_reference(day, number)
