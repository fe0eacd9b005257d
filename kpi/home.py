"""The home page at ``/``: each role's work for today, one click from login.

A composition of the apps' selectors (kpi sits above them all): agents and
handlers — their open complaints by the next SLA due (a live countdown), counts
per status, unread notifications; supervisors — unassigned and at-risk
complaints of their team; relations specialists — revisits due today; trainers —
today's sessions; QA inspectors — complaints to inspect; technicians — today's
visits (check-in and check-out on the order) and how many are booked ahead; managers and
supervisors — the KPI dashboard. Every list is scoped by its selector.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import selectors as aftersales_selectors
from aftersales.models import ServiceOrder
from complaints import selectors as complaint_selectors
from complaints.models import Complaint
from complaints.services import complaint_assign
from crm import scoping
from crm import selectors as crm_selectors
from crm.admin_base import SERVICE_ERRORS, refusal_text
from crm.roles import Role
from kpi import selectors
from training import selectors as training_selectors

LIST_LIMIT = 30
# A technician's home counts the visits booked this many days ahead.
VISITS_AHEAD_DAYS = 7


def may_assign(user) -> bool:
    """Who gets the queue with its one-click assignment: supervisors, managers,
    administrators (the assignment service checks the complaint itself)."""
    return (
        scoping.has_role(user, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)
        or user.is_superuser
    )


@staff_member_required
def home(request):
    user = request.user
    now = timezone.now()
    context = {
        # the admin's header: user links, language switch, theme toggle
        **admin.site.each_context(request),
        "title": _("My desk"),
        "subtitle": user.get_full_name() or user.get_username(),
        "now": now,
        "unread": crm_selectors.unread_notification_count(user=user),
        "sections": [],
    }
    if scoping.has_role(user, Role.AGENT, Role.COMPLAINT_HANDLER, Role.SUPERVISOR):
        mine = list(complaint_selectors.my_open_complaints(user=user)[:LIST_LIMIT])
        for c in mine:
            c.due = c.next_due if c.next_due.year < 9999 else None
        counts = complaint_selectors.my_status_counts(user=user)
        context["mine"] = mine
        context["status_counts"] = [
            (status, label, counts.get(status, 0))
            for status, label in Complaint.Status.choices
            if status in counts
        ]
        context["sections"].append("mine")
    if may_assign(user):
        queue = complaint_selectors.team_queue(user=user, now=now)
        for c in queue["at_risk"]:
            c.due = c.next_due
        context["queue"] = queue
        context["assignees"] = list(
            complaint_selectors.desk_assignees(user=user)[
                : complaint_selectors.DESK_ASSIGNEES_MAX
            ]
        )
        context["sections"].append("queue")
    if scoping.has_role(user, Role.RELATIONS_SPECIALIST, Role.ACCOUNT_MANAGER):
        context["revisits"] = list(
            crm_selectors.revisits_due_today(user=user)[:LIST_LIMIT]
        )
        context["sections"].append("revisits")
    if scoping.has_role(user, Role.TRAINER):
        context["sessions"] = list(training_selectors.sessions_today(user=user))
        context["sections"].append("sessions")
    if scoping.has_role(user, Role.QA_INSPECTOR):
        context["to_inspect"] = list(selectors.inspection_queue(user=user))
        context["sections"].append("inspections")
    if scoping.has_role(user, Role.TECHNICIAN):
        today = timezone.localdate()
        context["visits"] = list(
            aftersales_selectors.visits_of_day(user=user, day=today)[:LIST_LIMIT]
        )
        context["visits_ahead"] = aftersales_selectors.visits_ahead_count(
            user=user, after=today, until=today + timedelta(days=VISITS_AHEAD_DAYS)
        )
        # the visits list, filtered as its date filter does (gte / lt)
        context["visits_ahead_query"] = urlencode(
            {
                "slot__date__gte": today + timedelta(days=1),
                "slot__date__lt": today + timedelta(days=VISITS_AHEAD_DAYS + 1),
                "status__exact": "booked",
            }
        )
        # where the next step is the check-out (order_check_out accepts these)
        context["checkout_statuses"] = (
            ServiceOrder.Status.IN_PROGRESS,
            ServiceOrder.Status.INSPECTED,
        )
        context["sections"].append("visits")
    context["kpi"] = selectors.may_use_dashboard(user)
    return render(request, "kpi/home.html", context)


class DeskAssignForm(forms.Form):
    """The home's one-click assignment: a colleague the user may assign to
    (``complaints.selectors.desk_assignees``) and the version the page showed."""

    assignee = forms.ModelChoiceField(queryset=None)
    version = forms.IntegerField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = complaint_selectors.desk_assignees(user=user)


@staff_member_required
@require_POST
def assign(request, pk: int):
    """Assign a complaint of the user's queue from the home and return there:
    ``complaint_assign`` decides (no rule here); its refusal is an error
    message. 403 for roles that do not assign, 404 for a complaint out of
    scope."""
    user = request.user
    if not may_assign(user):
        raise PermissionDenied
    complaint = get_object_or_404(
        complaint_selectors.complaint_list(user=user).select_related("assignee"),
        pk=pk,
    )
    names = {"ref": complaint.reference}
    form = DeskAssignForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(
            request,
            _("Complaint %(ref)s: choose a colleague from the list to assign it to.")
            % names,
        )
        return redirect("home")
    assignee = form.cleaned_data["assignee"]
    names["name"] = assignee.get_full_name() or assignee.get_username()
    try:
        complaint_assign(
            actor=user,
            complaint=complaint,
            assignee=assignee,
            version=form.cleaned_data["version"],
        )
    except SERVICE_ERRORS as exc:
        names["error"] = refusal_text(exc)
        messages.error(
            request, _("Complaint %(ref)s was not assigned: %(error)s") % names
        )
    else:
        messages.success(request, _("Complaint %(ref)s assigned to %(name)s.") % names)
    return redirect("home")
