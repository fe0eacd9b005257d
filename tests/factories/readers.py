"""The readers of the per-role selector tests: one per role of ``crm.roles``.

``READERS`` are the nine staff roles (``org.admin`` for the administrator, the
department-A member ``org.<role>_a`` for every other role) and, for selectors
the partner API reaches, ``"partner"``: the API-key principal of a partner
organisation (``request.user`` of a key-authenticated request).
"""

from __future__ import annotations

from crm.roles import STAFF_ROLES, Role

# The after-sales engineer (issue 17) reads no crm/complaints/training/kpi rows
# of its own beyond its inbox; its reach is pinned in tests/aftersales
# (test_transitions.py) until these tables get a technician column.
STAFF_READERS = tuple(role.value for role in STAFF_ROLES if role != Role.TECHNICIAN)
READERS = (*STAFF_READERS, "partner")


def reader(org, role: str, *, partner=None):
    """The user (or partner principal) reading as ``role``."""
    if role == "partner":
        from partners.api.authentication import PartnerClient
        from tests.factories.partners import make_api_key

        api_key, _raw = make_api_key(partner=partner)
        return PartnerClient(api_key)
    if role == "admin":
        return org.admin
    return getattr(org, f"{role}_a")


def labels(rows, names: dict) -> set[str]:
    """The labels (``names``: pk → label) of the rows a selector returned."""
    return {names[row.pk] for row in rows if row.pk in names} | {
        f"unexpected:{row.pk}" for row in rows if row.pk not in names
    }
