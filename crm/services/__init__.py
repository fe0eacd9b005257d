"""Writes of the crm app (HackSoftware style: ``<entity>_<action>(*, actor, ...)``)."""

from crm.services.customers import (
    customer_create,
    customer_find,
    customer_update,
    customer_upsert,
)
from crm.services.interactions import interaction_record
from crm.services.revisits import (
    revisit_cancel,
    revisit_complete,
    revisit_create,
    revisit_mark_missed,
    revisit_plan_by_rules,
    revisit_plan_for_new_customer,
    revisit_plan_for_resolved_complaint,
    revisit_reassign,
    revisit_reschedule,
)

__all__ = [
    "customer_create",
    "customer_find",
    "customer_update",
    "customer_upsert",
    "interaction_record",
    "revisit_cancel",
    "revisit_complete",
    "revisit_create",
    "revisit_mark_missed",
    "revisit_plan_by_rules",
    "revisit_plan_for_new_customer",
    "revisit_plan_for_resolved_complaint",
    "revisit_reassign",
    "revisit_reschedule",
]
