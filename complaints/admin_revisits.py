"""The revisit admin with "problem found → new complaint" (回访发现问题).

crm's ``RevisitAdmin`` records revisits and knows nothing of complaints (crm sits
below complaints). This module, one layer up, registers the revisit admin again
with the two fields of a problem found on the call (category, subject) and
completes the revisit through ``revisit_complete_with_complaint``. Imported by
``complaints.admin``, so it runs after crm's admin has registered its own.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import Category
from complaints.services.revisit_problems import (
    revisit_complete_confirmation,
    revisit_complete_with_complaint,
)
from crm import admin_revisits as crm_admin
from crm.models import Revisit

PROBLEM_FIELDS = ("follow_up_category", "follow_up_subject")


def _top_categories():
    # Configuration: every staff role sees every category (explicitly unscoped).
    return Category.objects.filter(parent__isnull=True, is_active=True)


class RevisitForm(crm_admin.RevisitForm):
    """crm's change form plus the complaint a problem found on the call becomes."""

    follow_up_category = forms.ModelChoiceField(
        label=_("problem found: complaint category"),
        queryset=None,
        required=False,
    )
    follow_up_subject = forms.CharField(
        label=_("problem found: complaint subject"), max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up_category"].queryset = _top_categories()

    def clean(self):
        data = super().clean()
        if bool(data.get("follow_up_category")) != bool(data.get("follow_up_subject")):
            raise forms.ValidationError(
                _("Give both a category and a subject for the new complaint.")
            )
        if data.get("follow_up_category") and not data.get("outcome"):
            self.add_error("outcome", _("Record the outcome of the revisit too."))
        return data

    class Meta(crm_admin.RevisitForm.Meta):
        fields = (
            "customer",
            "purpose",
            "method",
            "due_at",
            "assignee",
            "outcome",
            "satisfaction_score",
            "feedback",
            *PROBLEM_FIELDS,
            "notes",
        )


admin.site.unregister(Revisit)


@admin.register(Revisit)
class RevisitAdmin(crm_admin.RevisitAdmin):
    form = RevisitForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None or obj.status != Revisit.Status.PLANNED:
            # The "problem found" fields only make sense while completing.
            fields = [f for f in fields if f not in PROBLEM_FIELDS]
        return fields

    def complete(self, request, revisit, data) -> None:
        if not data.get("follow_up_category"):
            # The confirmation revisit of a resolved complaint confirms or
            # reopens it (other revisits: crm's completion only).
            revisit_complete_confirmation(
                actor=request.user,
                revisit=revisit,
                outcome=data["outcome"],
                satisfaction_score=data.get("satisfaction_score"),
                feedback=data.get("feedback", ""),
            )
            return
        revisit_complete_with_complaint(
            actor=request.user,
            revisit=revisit,
            outcome=data["outcome"],
            satisfaction_score=data.get("satisfaction_score"),
            feedback=data.get("feedback", ""),
            category=data["follow_up_category"],
            subject=data["follow_up_subject"],
        )
