"""Writes of the crm app (HackSoftware style: ``<entity>_<action>(*, actor, ...)``)."""

from crm.notification_emails import notification_emails_deliver
from crm.services.access_log import personal_data_bulk_access_log
from crm.services.contacts import contact_create, contact_update
from crm.services.customers import (
    customer_create,
    customer_find,
    customer_update,
    customer_upsert,
)
from crm.services.interactions import interaction_record
from crm.services.privacy import (
    customer_erase,
    customer_export,
    personal_data_access_log,
    privacy_request_create,
    privacy_request_execute,
    privacy_request_reject,
)
from crm.services.reminders import (
    notification_email_retry,
    notification_mark_read,
    revisit_sweep,
)
from crm.services.revisits import (
    revisit_cancel,
    revisit_complete,
    revisit_create,
    revisit_link_follow_up,
    revisit_mark_missed,
    revisit_plan_by_rules,
    revisit_plan_for_new_customer,
    revisit_plan_for_resolved_complaint,
    revisit_reassign,
    revisit_reschedule,
)
from crm.services.users import (
    user_can_manage,
    user_create,
    user_set_password,
    user_update,
)

__all__ = [
    "contact_create",
    "contact_update",
    "customer_create",
    "customer_erase",
    "customer_export",
    "customer_find",
    "customer_update",
    "customer_upsert",
    "interaction_record",
    "notification_emails_deliver",
    "notification_email_retry",
    "notification_mark_read",
    "personal_data_access_log",
    "personal_data_bulk_access_log",
    "privacy_request_create",
    "privacy_request_execute",
    "privacy_request_reject",
    "revisit_cancel",
    "revisit_complete",
    "revisit_create",
    "revisit_link_follow_up",
    "revisit_mark_missed",
    "revisit_plan_by_rules",
    "revisit_plan_for_new_customer",
    "revisit_plan_for_resolved_complaint",
    "revisit_reassign",
    "revisit_reschedule",
    "revisit_sweep",
    "user_can_manage",
    "user_create",
    "user_set_password",
    "user_update",
]
