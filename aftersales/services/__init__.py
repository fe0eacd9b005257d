"""The after-sales services: every write of the app goes through them."""

from aftersales.services.booking import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    free_slots,
)
from aftersales.services.orders import (
    order_check_in,
    order_check_out,
    order_complete,
    order_create,
    order_create_for_complaint,
    order_transition,
)
from aftersales.services.policies import policy_check

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "free_slots",
    "order_check_in",
    "order_check_out",
    "order_complete",
    "order_create",
    "order_create_for_complaint",
    "order_transition",
    "policy_check",
]
