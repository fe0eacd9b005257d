"""The home page at ``/``: each role's work for today, one click from login.

A composition of the apps' selectors (kpi sits above them all): agents and
handlers — their open complaints by the next SLA due (a live countdown), counts
per status, unread notifications; supervisors — unassigned and at-risk
complaints of their team; relations specialists — revisits due today; trainers —
today's sessions; QA inspectors — complaints to inspect; managers and
supervisors — the KPI dashboard. Every list is scoped by its selector.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors as complaint_selectors
from complaints.models import Complaint
from crm import scoping
from crm import selectors as crm_selectors
from crm.roles import Role
from kpi import selectors
from training import selectors as training_selectors

LIST_LIMIT = 30


@staff_member_required
def home(request):
    user = request.user
    now = timezone.now()
    is_admin = scoping.has_role(user, Role.ADMIN) or user.is_superuser
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
    if scoping.has_role(user, Role.SUPERVISOR, Role.MANAGER) or is_admin:
        queue = complaint_selectors.team_queue(user=user, now=now)
        for c in queue["at_risk"]:
            c.due = c.next_due
        context["queue"] = queue
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
    context["kpi"] = selectors.may_use_dashboard(user)
    return render(request, "kpi/home.html", context)
