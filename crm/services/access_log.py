"""The personal-data access log for reads of many customers at once.

Single-customer views, exports, corrections and erasures are logged by
``crm.services.privacy.personal_data_access_log``; a request that shows several
customers' unmasked identifiers (an API list page) writes one row here.
"""

from __future__ import annotations

from crm.models import PersonalDataAccess


def personal_data_bulk_access_log(
    *, actor, action: str, record_count: int, department=None, note: str = ""
) -> PersonalDataAccess | None:
    """Record that ``actor`` read ``record_count`` customers' personal data in one
    request: one row, no single customer. Nothing is written when no record was
    read. The row's department is ``department``, else the actor's, so that the
    actor's manager sees it in the log (``crm.scoping``)."""
    if record_count <= 0:
        return None
    return PersonalDataAccess.objects.create(
        actor=actor,
        customer=None,
        department_id=getattr(department, "pk", department) or actor.department_id,
        action=action,
        record_count=record_count,
        note=note[:200],
    )
