"""Shared pieces of the training admin: role labels and the record section."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.utils import timezone

from crm.roles import Role


def role_label(group: Group) -> str:
    try:
        return str(Role(group.name).label)
    except ValueError:
        return group.name


def render_record(record: dict) -> str:
    """The staff training record as an HTML section (admin pages)."""
    return render_to_string(
        "training/record_section.html",
        {"record": record, "soon": timezone.localdate() + timedelta(days=30)},
    )
