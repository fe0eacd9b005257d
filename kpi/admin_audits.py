"""Admin of service-standard audits: plans (configuration of managers) and the
audits the cadence opens. An audit's page shows its checklist, findings and
their corrective actions (read-only) and a button per step its status allows
(start, record a finding, raise a CAPA, report), each run through
``kpi.services.audits`` on the step page; the report page is ``/kpi/audits/<id>/``.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import InvalidInput
from crm.admin_base import SERVICE_ERRORS, ScopedModelAdmin, ScopedTabularInline
from crm.models import User
from kpi import selectors
from kpi.models import AuditFinding, AuditPlan, ServiceAudit
from kpi.services.audits import (
    AUDIT_ACTIONS,
    audit_actions_for,
    audit_add_finding,
    audit_raise_capa,
    audit_report,
    audit_start,
)


class AuditPlanForm(forms.ModelForm):
    class Meta:
        model = AuditPlan
        fields = (
            "name",
            "department",
            "team",
            "cadence",
            "auditor",
            "checklist",
            "is_active",
        )

    def clean(self):
        data = super().clean()
        department, team = data.get("department"), data.get("team")
        if department and team and team.department_id != department.pk:
            self.add_error("team", _("The team is not in this department."))
        if "checklist" in data and not [
            line for line in data["checklist"].splitlines() if line.strip()
        ]:
            self.add_error("checklist", _("Write at least one item."))
        return data


@admin.register(AuditPlan)
class AuditPlanAdmin(ScopedModelAdmin):
    form = AuditPlanForm
    selector = staticmethod(selectors.audit_plan_list)
    list_display = ("name", "department", "team", "cadence", "auditor", "is_active")
    list_filter = ("cadence", "is_active")
    list_select_related = ("department", "team", "auditor")
    search_fields = ("name",)
    autocomplete_fields = ("auditor",)

    def has_delete_permission(self, request, obj=None):
        return False  # audits keep their plan: deactivate instead


class AuditFindingInline(ScopedTabularInline):
    model = AuditFinding
    selector = staticmethod(selectors.audit_finding_list)
    fields = ("created_at", "item", "severity", "description", "capa_link")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("findings")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("corrective action (CAPA)"))
    def capa_link(self, obj):
        if obj.capa_id is None:
            return "—"
        url = reverse("admin:complaints_correctiveaction_change", args=[obj.capa_id])
        return format_html(
            '<a href="{}">{}</a> ({})',
            url,
            obj.capa.title,
            obj.capa.get_status_display(),
        )


class AuditStepForm(forms.Form):
    """One step on an audit: only the fields of the chosen step are used."""

    action = forms.ChoiceField(label=_("step"))
    version = forms.IntegerField(widget=forms.HiddenInput)
    item = forms.ChoiceField(label=_("checklist item"), required=False)
    severity = forms.ChoiceField(
        label=_("severity"),
        required=False,
        choices=[("", "---------"), *AuditFinding.Severity.choices],
    )
    description = forms.CharField(
        label=_("finding"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    finding = forms.ModelChoiceField(
        label=_("finding"), queryset=AuditFinding.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("due date"), required=False)
    capa_action = forms.CharField(
        label=_("action"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    summary = forms.CharField(
        label=_("summary and conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, audit, user, **kwargs):
        super().__init__(*args, **kwargs)
        actions = audit_actions_for(user, audit)
        self.fields["action"].choices = [(a, AUDIT_ACTIONS[a]) for a in actions]
        self.fields["item"].choices = [("", "---------")] + [
            (item, item) for item in audit.checklist_items()
        ]
        self.fields["finding"].queryset = selectors.audit_finding_list(
            user=user
        ).filter(audit=audit, capa__isnull=True)
        self.fields["owner"].queryset = selectors.colleagues(user)


@admin.register(ServiceAudit)
class ServiceAuditAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.audit_list)
    list_display = (
        "plan",
        "period_key",
        "department",
        "team",
        "auditor",
        "status",
        "reported_at",
    )
    list_filter = ("status", "period_key")
    list_select_related = ("plan", "department", "team", "auditor")
    search_fields = ("plan__name", "period_key")
    fields = (
        "plan",
        "period_key",
        "period_start",
        "period_end",
        "department",
        "team",
        "auditor",
        "status",
        "checklist",
        "summary",
        "opened_at",
        "started_at",
        "reported_at",
        "report_link",
    )
    readonly_fields = fields
    inlines = [AuditFindingInline]
    change_form_template = "admin/kpi/serviceaudit/change_form.html"

    def has_add_permission(self, request):
        return False  # opened by the plan's cadence (kpi.open_due_audits)

    def has_change_permission(self, request, obj=None):
        return False  # read-only page: every change is a step (step_view)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("audit report"))
    def report_link(self, obj):
        url = reverse("kpi:audit-report", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}?format=xlsx">XLSX</a>',
            url,
            gettext("Open the report"),
            url,
        )

    def render_change_form(self, request, context, add=False, change=False, **kw):
        obj = context.get("original")
        if obj is not None and obj.pk:
            context["audit_actions"] = [
                (name, AUDIT_ACTIONS[name])
                for name in audit_actions_for(request.user, obj)
            ]
        return super().render_change_form(request, context, add, change, **kw)

    def get_urls(self):
        return [
            path(
                "<int:pk>/step/",
                self.admin_site.admin_view(self.step_view),
                name="kpi_serviceaudit_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request, pk):
        """GET: the step's form (``?action=`` preselects it); POST: run the
        service; a refusal is shown on the form and changes nothing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        audit = get_object_or_404(self.get_queryset(request), pk=pk)
        if not audit_actions_for(request.user, audit):
            raise PermissionDenied
        change_url = reverse("admin:kpi_serviceaudit_change", args=[pk])
        if request.method == "POST":
            form = AuditStepForm(request.POST, audit=audit, user=request.user)
            if form.is_valid():
                try:
                    self._run(request, audit, form.cleaned_data)
                except SERVICE_ERRORS as exc:
                    self.show_refusal(request, exc, form=form)
                else:
                    messages.success(request, gettext("Done."))
                    return HttpResponseRedirect(change_url)
        else:
            form = AuditStepForm(
                audit=audit,
                user=request.user,
                initial={
                    "version": audit.version,
                    "action": request.GET.get("action"),
                    "due_date": timezone.localdate() + timedelta(days=30),
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Work on audit %(audit)s") % {"audit": audit},
            "opts": self.model._meta,
            "original": audit,
            "form": form,
        }
        return TemplateResponse(request, "admin/kpi/serviceaudit/step.html", context)

    @staticmethod
    def _run(request, audit, data):
        actor, action, version = request.user, data["action"], data["version"]
        if action == "start":
            audit_start(actor=actor, audit=audit, version=version)
        elif action == "finding":
            audit_add_finding(
                actor=actor,
                audit=audit,
                item=data["item"],
                severity=data["severity"],
                description=data["description"],
                version=version,
            )
        elif action == "capa":
            if data["finding"] is None:
                raise InvalidInput(gettext("Choose the finding."), field="finding")
            audit_raise_capa(
                actor=actor,
                finding=data["finding"],
                owner=data["owner"],
                due_date=data["due_date"],
                action=data["capa_action"],
            )
        elif action == "report":
            audit_report(
                actor=actor, audit=audit, summary=data["summary"], version=version
            )
