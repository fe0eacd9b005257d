"""Shared pieces of the training admin: the record section, domain errors as messages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.models import Group
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone

from config.errors import DomainError
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


class DomainErrorsMixin:
    """Run a service; show a DomainError as an error message instead of a 500."""

    def run_service(self, request, func, **kwargs):
        try:
            return func(**kwargs), True
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None, False

    # When the service refused an addition, nothing was saved: back to the form.
    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)
