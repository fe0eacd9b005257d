"""Writes of the crm app (HackSoftware style: ``<entity>_<action>(*, actor, ...)``)."""

from crm.services.customers import (
    customer_create,
    customer_find,
    customer_update,
    customer_upsert,
)

__all__ = [
    "customer_create",
    "customer_find",
    "customer_update",
    "customer_upsert",
]
