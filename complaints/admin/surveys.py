"""Admin of satisfaction surveys: staff record the customer's answer once,
through ``survey_record_answer``.
"""

from __future__ import annotations

from django.contrib import admin

from complaints import selectors, services
from complaints.models import SatisfactionSurvey
from crm.admin_base import ScopedModelAdmin


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.satisfaction_survey_list)
    list_display = ("complaint", "cycle", "csat", "nps", "channel", "answered_at")
    list_filter = ("csat", "channel")
    list_select_related = ("complaint",)
    search_fields = ("complaint__reference",)
    fields = (
        "complaint",
        "customer",
        "cycle",
        "csat",
        "nps",
        "comment",
        "channel",
        "recorded_by",
        "answered_at",
        "created_at",
    )
    ANSWER_FIELDS = ("csat", "nps", "comment", "channel")

    def has_add_permission(self, request):
        return False  # created by complaint_resolve, one per resolution

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Staff record the customer's answer once (e.g. after a revisit),
        # through survey_record_answer; an answered survey is read-only.
        if obj is not None and obj.answered_at is None:
            return [f for f in self.fields if f not in self.ANSWER_FIELDS]
        return self.fields

    def save_model(self, request, obj, form, change):
        if not change or obj.answered_at is not None:
            return
        data = form.cleaned_data
        services.survey_record_answer(
            actor=request.user,
            complaint=obj.complaint,
            csat=data.get("csat"),
            nps=data.get("nps"),
            comment=data.get("comment") or "",
            channel=data.get("channel") or "",
        )
