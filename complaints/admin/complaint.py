"""Admin of complaints: the list, the intake form, the workflow panel and the
list actions.

Thin, per house style rule 10: rows come from the selectors, status and SLA
fields are read-only, and every change goes through ``complaints.services`` —
the intake form calls ``complaint_receive``, the workflow panel offers the
actions of ``complaints.actions`` and calls their services, the list actions
call the lifecycle services, domain errors become admin messages.
Complaints are archived, never deleted.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services, workspace
from complaints.actions import ACTIONS, next_step
from complaints.admin.filters import (
    ArchivedFilter,
    AssigneeFilter,
    CategoryFilter,
    SlaBreachedFilter,
    StatusFilter,
)
from complaints.admin.inlines import (
    AttachmentInline,
    EventInline,
    NoteInline,
    ReplyInline,
    SlaTargetInline,
    SurveyInline,
)
from complaints.admin_forms import AssignForm, ComplaintAddForm, WorkflowForm
from complaints.models import Complaint
from complaints.services import surveys
from crm.admin import STAFF_AUTOCOMPLETE_SOURCES
from crm.admin_base import (
    SERVICE_ERRORS,
    ScopedModelAdmin,
    adopt_saved,
    identifier_search,
)
from crm.selectors import sees_personal_data
from crm.services import personal_data_access_log

# The actions whose text is a reply to the customer: the composer offers phrases.
PHRASE_ACTIONS = ("reply", "resolve")


def _duration(delta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes >= 1440:
        return gettext("%(d)s d %(h)s h") % {
            "d": minutes // 1440,
            "h": minutes % 1440 // 60,
        }
    if minutes >= 600:  # ten hours and more: minutes are noise in a list
        return gettext("%(h)s h") % {"h": minutes // 60}
    if minutes >= 60:
        return gettext("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return gettext("%(m)s min") % {"m": minutes}


@admin.register(Complaint)
class ComplaintAdmin(ScopedModelAdmin):
    # Archived complaints included; the "archived" filter hides them by default.
    # Open complaints first due first: the status filter starts at "open" and
    # the list is ordered by the next SLA due time (a sortable column).
    selector = staticmethod(selectors.complaint_list)
    list_display = (
        "reference",
        "subject",
        "status",
        "sla_state",
        "severity",
        "assignee",
        "team",
        "customer_name",
        "category",
        "received",
    )
    change_list_template = "admin/complaints/complaint/change_list.html"
    list_select_related = ("customer", "category", "assignee", "team")
    list_filter = (
        StatusFilter,
        CategoryFilter,
        "channel",
        "severity",
        SlaBreachedFilter,
        "team",
        AssigneeFilter,
        ("received_at", admin.DateFieldListFilter),
        ArchivedFilter,
    )
    # The search recognises the term's shape (get_search_results,
    # selectors.complaint_search); search_fields only turns the search box on.
    search_fields = ("reference",)
    search_help_text = _("Reference, order number, customer name, number or phone")
    # No date_hierarchy: its DISTINCT over a million rows would run on every page.
    autocomplete_fields = ("customer", "attributed_staff")
    actions = ["assign_selected", "escalate_selected", "close_selected", "archive"]
    inlines = [
        SlaTargetInline,
        ReplyInline,
        NoteInline,
        AttachmentInline,
        SurveyInline,
        EventInline,
    ]
    add_form = ComplaintAddForm
    change_form_template = "admin/complaints/complaint/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "status",
                    "customer",
                    "channel",
                    ("category", "subcategory"),
                    "severity",
                    "subject",
                    "description",
                    "order_number",
                    "occurred_at",
                    "desired_resolution",
                    "source_partner",
                )
            },
        ),
        (
            _("Assignment"),
            {
                "fields": (
                    ("team", "department"),
                    "assignee",
                    "attributed_staff",
                    ("escalation_level", "escalated_at"),
                )
            },
        ),
        (
            _("Analysis and handling"),
            {
                "fields": (
                    "impact_scope",
                    "cause_hypothesis",
                    "cause_type",
                    "root_cause",
                    "resolution_type",
                    "resolution_summary",
                    "compensation_amount",
                    "rejection_reason",
                )
            },
        ),
        (
            _("SLA"),
            {
                "fields": (
                    "sla_policy",
                    "received_at",
                    ("first_response_due_at", "first_response_at"),
                    ("analysis_due_at", "analyzed_at"),
                    ("reply_due_at", "replied_at"),
                    ("resolution_due_at", "resolved_at"),
                    "first_resolved_at",
                    ("confirmation_due_at", "confirmed_at"),
                    "closed_at",
                    ("first_response_minutes", "resolution_minutes"),
                    "reopened_count",
                    "on_hold_since",
                )
            },
        ),
        (
            _("Record"),
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "updated_at",
                    "version",
                    "is_archived",
                )
            },
        ),
        (_("The customer's links"), {"fields": ("customer_links",)}),
    )

    @admin.display(description=_("tracking and survey"))
    def customer_links(self, obj):
        """The links the customer's messages carry (complaints.services.surveys):
        the tracking page, and the survey of the current resolution cycle once
        the complaint is resolved."""
        tracking = surveys.tracking_url(obj)
        parts = [format_html('<a href="{0}" target="_blank">{0}</a>', tracking)]
        if obj.status in (Complaint.Status.RESOLVED, Complaint.Status.CLOSED):
            survey = surveys.survey_url(obj)
            parts.append(
                format_html(
                    '{}: <a href="{}" target="_blank">{}</a>',
                    gettext("Survey"),
                    survey,
                    survey[:60] + "…",
                )
            )
        return format_html_join("<br>", "{}", ((p,) for p in parts))

    # --- list ---------------------------------------------------------------
    # The work list: the next due first (index complaint_due_work). Declared
    # here, not only returned below, because the list's headers mark the sorted
    # columns from this attribute: the SLA column first, the received time next.
    ordering = ("next_due_at", "-received_at")

    def get_ordering(self, request):
        # Elsewhere (choices and autocomplete of other admins' complaint
        # fields) the indexed received time.
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "complaints_complaint_changelist":
            return self.ordering
        return ("-received_at",)

    def changelist_view(self, request, extra_context=None):
        # Ten columns and the filters at 1366 px: the list gives up the app
        # sidebar (every other page keeps it; the breadcrumbs lead back).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_name(self, obj):
        """The name, shortened (the number and full name in the tooltip)."""
        customer = obj.customer
        name = customer.name
        short = name if len(name) <= 8 else name[:7] + "…"
        return format_html('<span title="{}">{}</span>', str(customer), short)

    @admin.display(description=_("received at"), ordering="received_at")
    def received(self, obj):
        """Local time; the year only when it is not this year's."""
        local = timezone.localtime(obj.received_at)
        fmt = "%m-%d %H:%M" if local.year == timezone.localdate().year else "%Y-%m-%d"
        return format_html(
            '<span title="{}">{}</span>',
            local.strftime("%Y-%m-%d %H:%M"),
            local.strftime(fmt),
        )

    @admin.display(description=_("SLA"), ordering="next_due_at")
    def sla_state(self, obj):
        """The next running clock's due time, coloured by the denormalised SLA
        state (``sla_paused`` / ``sla_breached`` / ``sla_warned``, kept by the
        services): grey paused, red breached or overdue, amber warned or due
        within the hour, green otherwise."""
        if obj.status in (Complaint.Status.CLOSED, Complaint.Status.REJECTED):
            return "—"
        if obj.sla_paused or obj.status == Complaint.Status.ON_HOLD:
            return format_html('<span style="color:#777">{}</span>', gettext("paused"))
        now = timezone.now()
        found = workspace.next_due(obj, now=now)
        breached = (
            format_html(
                '<span style="color:#ba2121;font-weight:bold">{}</span> ',
                gettext("breached"),
            )
            if obj.sla_breached
            else ""
        )
        if found is None:
            return breached or "—"
        due, label = found.due, found.clock
        if found.overdue:
            # "overdue" says it: no "breached" before it (one short line)
            return format_html(
                '<span style="color:#ba2121;font-weight:bold;white-space:nowrap">'
                "{} {} {}</span>",
                label,
                gettext("overdue"),
                _duration(now - due),
            )
        if breached:
            colour = "#ba2121"
        elif obj.sla_warned or due - now < timezone.timedelta(hours=1):
            colour = "#c77700"
        else:
            colour = "#2e7d32"
        return format_html(
            '{}<span style="color:{};white-space:nowrap">{} {} {}</span>',
            breached,
            colour,
            label,
            gettext("due in"),
            _duration(due - now),
        )

    def get_search_results(self, request, queryset, search_term):
        """Search by the term's shape (``selectors.complaint_search``): one
        indexed query per shape. A phone number or e-mail only for roles that
        see personal data (the customers found are logged); QA inspectors search
        by reference, order or customer number, customer name and subject."""
        term = search_term.strip()
        if not term:
            return queryset, False
        identified = None
        found = identifier_search(
            request, queryset, term, customer="customer_id", prefix="customer__"
        )
        if found is not None:
            identified = list(
                found.order_by()
                .values_list("customer_id", flat=True)
                .distinct()[: selectors.NAMED_CUSTOMERS_MAX]
            )
        return selectors.complaint_search(queryset, term, identified=identified), False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not sees_personal_data(request.user):
            changelist.search_help_text = _(
                "Reference, order number, customer name or number"
            )
        return changelist

    # --- forms --------------------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ComplaintAddForm.Meta.fields}),)
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Nothing is edited directly: every change is a service call (workflow).
        return [f for fs in self.fieldsets for f in _flatten(fs[1]["fields"])]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # read-only form; changes go through the workflow panel
        data = form.cleaned_data
        created = services.complaint_receive(
            actor=request.user,
            customer=data["customer"],
            channel=data["channel"],
            category=data["category"],
            subcategory=data.get("subcategory"),
            severity=data.get("severity") or None,
            subject=data["subject"],
            description=data["description"],
            order_number=data.get("order_number") or "",
            occurred_at=data.get("occurred_at"),
            received_at=data.get("received_at"),
            desired_resolution=data.get("desired_resolution") or "",
            attributed_staff=data.get("attributed_staff"),
        )
        adopt_saved(obj, created)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(self, request, obj, post_url_continue=None):
        # The registrant keeps seeing the complaint (an owner, see scopes.py)
        # and is told who has it now.
        names = {"ref": obj.reference}
        if obj.assignee_id == request.user.pk:
            text = gettext("Complaint %(ref)s registered; it is assigned to you.")
        elif obj.assignee_id is not None:
            names |= {"assignee": obj.assignee, "team": obj.team or "—"}
            text = gettext(
                "Complaint %(ref)s registered; the assignment rules gave it to "
                "%(assignee)s (team %(team)s)."
            )
        elif obj.team_id is not None:
            names["team"] = obj.team
            text = gettext(
                "Complaint %(ref)s registered; it waits in the queue of team %(team)s."
            )
        else:
            text = gettext("Complaint %(ref)s registered; nobody is assigned yet.")
        messages.success(request, text % names)
        return HttpResponseRedirect(
            reverse("admin:complaints_complaint_change", args=[obj.pk])
        )

    # --- the workspace: header (and the customer 360) beside the record -------
    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None:
            context["workspace"] = workspace.header(obj, now=timezone.now())
            beside = workspace.customer_360(user=request.user, complaint=obj)
            context["customer_360"] = beside
            if beside["personal"] and request.method == "GET":
                # The customer's phone and e-mail shown in full: a logged read.
                personal_data_access_log(
                    actor=request.user, customer=beside["customer"], action="view"
                )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- workflow panel -------------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name="complaints_complaint_workflow",
            ),
            *super().get_urls(),
        ]

    def workflow_view(self, request, pk):
        complaint = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, complaint):
            messages.error(request, gettext("You may not change this complaint."))
            return HttpResponseRedirect(
                reverse("admin:complaints_complaint_change", args=[pk])
            )
        if request.method == "POST":
            form = WorkflowForm(
                request.POST, request.FILES, user=request.user, complaint=complaint
            )
            if form.is_valid():
                try:
                    _perform(request.user, complaint, form.cleaned_data)
                except SERVICE_ERRORS as exc:
                    _on_panel_field(exc, form.cleaned_data["action"])
                    self.show_refusal(request, exc, form=form)
                else:
                    return self._after_step(request, complaint, form)
        else:
            form = WorkflowForm(
                user=request.user,
                complaint=complaint,
                initial={
                    "version": complaint.version,
                    "action": request.GET.get("action", ""),
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Work on complaint %(ref)s")
            % {"ref": complaint.reference},
            "opts": self.model._meta,
            "original": complaint,
            "workspace": workspace.header(complaint, now=timezone.now()),
            "form": form,
            # Which fields each action reads: the page shows only those.
            "action_fields": {
                code: sorted(set(action.panel.values()))
                + (["phrase"] if code in PHRASE_ACTIONS else [])
                for code, action in ACTIONS.items()
            },
        }
        return TemplateResponse(
            request, "admin/complaints/complaint/workflow.html", context
        )

    def _after_step(self, request, complaint, form):
        """Back to the complaint's page with what was done and its new status;
        to the list when the step took the complaint out of the user's sight
        (handed to a colleague)."""
        names = {
            "action": ACTIONS[form.cleaned_data["action"]].label,
            "ref": complaint.reference,
        }
        done = self.get_queryset(request).filter(pk=complaint.pk).first()
        if done is None:
            messages.success(
                request,
                gettext("%(action)s: done. Complaint %(ref)s has left your list.")
                % names,
            )
            return HttpResponseRedirect(
                reverse("admin:complaints_complaint_changelist")
            )
        names["status"] = done.get_status_display()
        messages.success(
            request,
            gettext("%(action)s: done. Complaint %(ref)s is now “%(status)s”.") % names,
        )
        # Stay on the panel while a next step is offered (it is preselected):
        # a handler's analysis → handling → reply → resolve is four submits.
        if ACTIONS[form.cleaned_data["action"]].code != "attach" and (
            following := next_step(request.user, done)
        ):
            return HttpResponseRedirect(
                reverse("admin:complaints_complaint_workflow", args=[done.pk])
                + f"?action={following.code}"
            )
        return HttpResponseRedirect(
            reverse("admin:complaints_complaint_change", args=[done.pk])
        )

    # --- list actions -----------------------------------------------------------
    def _each(self, request, queryset, call, success: str) -> None:
        """``call`` (a service) for each complaint; one message per complaint."""
        for complaint, _result in self.run_each(
            request, queryset, call, label=lambda c: c.reference
        ):
            messages.success(request, f"{complaint.reference}: {success}")

    @admin.action(description=_("Assign selected complaints"), permissions=["change"])
    def assign_selected(self, request, queryset):
        if "apply" in request.POST:
            form = AssignForm(request.POST, user=request.user)
            if form.is_valid():
                assignee = form.cleaned_data["assignee"]
                self._each(
                    request,
                    queryset,
                    lambda c: services.complaint_assign(
                        actor=request.user, complaint=c, assignee=assignee
                    ),
                    gettext("assigned to %(name)s") % {"name": assignee},
                )
                return None
        else:
            form = AssignForm(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Assign complaints"),
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/complaints/complaint/assign.html", context
        )

    @admin.action(description=_("Escalate selected complaints"), permissions=["change"])
    def escalate_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: services.complaint_escalate(
                actor=request.user, complaint=c, reason=gettext("Escalated in admin")
            ),
            gettext("escalated"),
        )

    @admin.action(description=_("Close selected complaints"), permissions=["change"])
    def close_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: services.complaint_close(actor=request.user, complaint=c),
            gettext("closed"),
        )

    @admin.action(description=_("Archive selected complaints"), permissions=["change"])
    def archive(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: services.complaint_archive(actor=request.user, complaint=c),
            gettext("archived"),
        )


# The assignee search offers exactly whom the assignment accepts.
STAFF_AUTOCOMPLETE_SOURCES[("complaints", "complaint", "assignee")] = (
    selectors.complaint_worker_list
)


def _flatten(fields):
    for f in fields:
        if isinstance(f, list | tuple):
            yield from f
        else:
            yield f


def _on_panel_field(exc, action_code: str) -> None:
    """A refusal naming a service argument (e.g. the reply's ``body``) names the
    panel field that carries it (``text``), so the form shows it there."""
    field = getattr(exc, "field", None)
    panel = ACTIONS[action_code].panel
    if field in panel:
        exc.field = panel[field]


def _perform(actor, complaint, data) -> None:
    """Dispatch one workflow panel submission to its service (the registry)."""
    action = ACTIONS[data["action"]]
    action.service(actor=actor, complaint=complaint, **action.kwargs_from_panel(data))
