"""The admin log (``django_admin_log``) without personal data.

Django's admin writes ``str(obj)`` into ``LogEntry.object_repr`` and the names of
inline rows into ``change_message``; for a customer that is the name, for a
contact the name, for a note its text. Every Kefu ModelAdmin (through
``ScopedModelAdmin``) writes ``crm.services.privacy.admin_log_repr(obj)``
instead: the customer number, the complaint reference, or "<model> #<id>" for
rows whose text can name a person. Erasure rewrites the entries written before.
"""

from __future__ import annotations

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from crm.services.privacy import admin_log_repr


def _log(request, objects, action_flag: int, message="") -> list[LogEntry]:
    if isinstance(message, list):
        message = json.dumps(message)
    entries = [
        LogEntry(
            user_id=request.user.pk,
            content_type_id=ContentType.objects.get_for_model(
                obj, for_concrete_model=False
            ).pk,
            object_id=str(obj.pk),
            object_repr=admin_log_repr(obj),
            action_flag=action_flag,
            change_message=message,
        )
        for obj in objects
    ]
    if len(entries) == 1:
        entries[0].save()
        return entries
    return LogEntry.objects.bulk_create(entries)


class PersonalDataSafeLogMixin:
    """ModelAdmin mixin: log entries name rows by ``admin_log_repr``."""

    def log_addition(self, request, obj, message):
        return _log(request, [obj], ADDITION, message)[0]

    def log_change(self, request, obj, message):
        return _log(request, [obj], CHANGE, message)[0]

    def log_deletions(self, request, queryset):
        return _log(request, list(queryset), DELETION)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        replacements = {}
        for formset in formsets or ():
            changed = [obj for obj, _fields in formset.changed_objects]
            for obj in (*formset.new_objects, *changed, *formset.deleted_objects):
                # Django names inline rows untranslated.
                with translation.override(None):
                    replacements[str(obj)] = admin_log_repr(obj)
        for item in message:
            for detail in item.values():
                if isinstance(detail, dict) and detail.get("object") in replacements:
                    detail["object"] = replacements[detail["object"]]
        return message
