"""Row scopes of the after-sales models (registered with ``crm.scoping``).

A service order belongs to its department and team; its owner and the
technician sent to it "own" it (a technician sees their own visits); a partner
sees the orders it submitted. Appointments and events follow their order.
Policies, technicians and slots are configuration every staff role may read.
"""

from __future__ import annotations

from crm.roles import STAFF_ROLES, Role
from crm.scoping import ScopePaths, register_scopes

ORDER_DEPARTMENT_ROLES = frozenset({Role.MANAGER})


def _order_paths(prefix: str = "") -> ScopePaths:
    return ScopePaths(
        department=f"{prefix}department",
        team=f"{prefix}team",
        owners=(f"{prefix}owner", f"{prefix}technician__user"),
        readers=(f"{prefix}created_by",),
        partner=f"{prefix}source_partner",
        assignee=f"{prefix}owner",
        department_roles=ORDER_DEPARTMENT_ROLES,
    )


CONFIG = ScopePaths(everyone=frozenset(STAFF_ROLES))


def register() -> None:
    register_scopes(
        {
            "aftersales.ServiceOrder": _order_paths(),
            "aftersales.ServiceOrderEvent": _order_paths("order__"),
            "aftersales.Appointment": _order_paths("order__"),
            "aftersales.ReturnPolicy": CONFIG,
            "aftersales.Technician": CONFIG,
            "aftersales.AppointmentSlot": CONFIG,
        }
    )
