"""Forms of the complaints admin: intake, the workflow panel, bulk assignment.

They only collect input; the admin views hand it to ``complaints.services``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints import actions
from complaints.business_time import validate_hours
from complaints.models import (
    BusinessCalendar,
    Category,
    Complaint,
    CorrectiveAction,
    SlaPolicy,
    SlaTarget,
)
from crm.models import Team, User


class ComplaintAddForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = [
            "customer",
            "channel",
            "category",
            "subcategory",
            "severity",
            "subject",
            "description",
            "order_number",
            "occurred_at",
            "received_at",
            "desired_resolution",
            "attributed_staff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "received_at" in self.fields:
            self.fields["received_at"].required = False
            self.fields["received_at"].help_text = _(
                "Leave empty for now; set earlier for letters and on-site complaints."
            )


class WorkflowForm(forms.Form):
    """The workflow panel: one form for every action of ``complaints.actions``.

    The action list shows the actions offered on ``complaint`` to ``user`` (its
    status, their role and permission); any registry action is accepted, and its
    service decides (an illegal one is refused with the service's message). The
    fields an action reads are named in its registry entry and validated by the
    service, which names the field in its error.
    """

    action = forms.ChoiceField(label=_("action"), choices=actions.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("text (reply, note or reason)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )
    channel = forms.ChoiceField(
        label=_("reply channel"),
        required=False,
        choices=[("", "---------"), *Complaint.Channel.choices],
    )
    assignee = forms.ModelChoiceField(
        label=_("assignee"), required=False, queryset=User.objects.none()
    )
    team = forms.ModelChoiceField(
        label=_("team"), required=False, queryset=Team.objects.none()
    )
    severity = forms.ChoiceField(
        label=_("severity"),
        required=False,
        choices=[("", "---------"), *Complaint.Severity.choices],
    )
    # Categories are configuration: every staff role sees all (explicitly unscoped).
    category = forms.ModelChoiceField(
        label=_("category"),
        required=False,
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
    )
    cause_type = forms.ChoiceField(
        label=_("cause type"),
        required=False,
        choices=[("", "---------"), *Complaint.CauseType.choices],
    )
    impact_scope = forms.CharField(label=_("impact scope"), required=False)
    root_cause = forms.CharField(
        label=_("root cause"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "Closing: required for a service-quality or process complaint "
            "attributed to a staff error or the process."
        ),
    )
    resolution_type = forms.ChoiceField(
        label=_("resolution type"),
        required=False,
        choices=[("", "---------"), *Complaint.ResolutionType.choices],
    )
    compensation_amount = forms.DecimalField(
        label=_("compensation amount"), required=False, min_value=0, decimal_places=2
    )
    target = forms.ChoiceField(
        label=_("SLA target"),
        required=False,
        choices=[("", "---------"), *SlaTarget.Kind.choices],
    )
    due_at = forms.DateTimeField(label=_("new due time"), required=False)
    file = forms.FileField(label=_("attachment"), required=False)
    # The reply composer: a standard phrase (complaints.phrases) is inserted
    # into the text by the panel's script; the field itself is not sent on.
    phrase = forms.CharField(
        label=_("standard phrase"), required=False, widget=forms.Select()
    )

    def __init__(self, *args, user=None, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        if complaint is not None:
            from complaints import phrases

            steps = dict(phrases.STEPS)
            self.fields["phrase"].widget.choices = [
                ("", _("— insert a standard phrase —")),
                *(
                    (
                        phrases.render(p, complaint),
                        f"{steps[p.step]} · {phrases.render(p, complaint)}",
                    )
                    for p in phrases.offered(complaint)
                ),
            ]
        if user is not None and complaint is not None:
            self.fields["action"].widget.choices = [
                (action.code, action.label)
                for action in actions.offered_to(user, complaint)
            ]
            offered = {code for code, _label in self.fields["action"].widget.choices}
            if self.initial.get("action") not in offered:
                step = actions.next_step(user, complaint)
                self.initial["action"] = step.code if step else ""
        self.fields["assignee"].queryset = scoped_workers(user)
        use_assignee_autocomplete(self.fields["assignee"], user)
        self.fields["team"].queryset = scoped_teams(user)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("assignee"), queryset=User.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = scoped_workers(user)
        use_assignee_autocomplete(self.fields["assignee"], user)


def use_assignee_autocomplete(field: forms.ModelChoiceField, user) -> None:
    """Search-as-you-type for the assignee (admin autocomplete over the staff
    admin, which is scoped to the user) when the user may list staff; the
    field's own queryset still validates the choice (workers in scope only)."""
    from django.contrib import admin
    from django.contrib.admin.widgets import AutocompleteSelect

    if user is None or not user.has_perm("crm.view_user"):
        return
    field.widget = AutocompleteSelect(Complaint._meta.get_field("assignee"), admin.site)
    field.widget.choices = field.choices


def scoped_teams(user):
    """Teams a complaint may be assigned to, as far as ``user`` may see teams."""
    from crm import scoping

    teams = Team.objects.order_by("code")
    return teams if user is None else scoping.visible_to(user, teams)


def scoped_workers(user):
    """Staff who work complaints, as far as ``user`` may see staff."""
    from complaints import selectors

    return selectors.complaint_worker_list(user=user)


class BusinessCalendarForm(forms.ModelForm):
    """Checks the working hours: ``{"0": [["09:00", "12:00"], ...], ...}``."""

    class Meta:
        model = BusinessCalendar
        fields = [
            "code",
            "name",
            "timezone",
            "week_hours",
            "workday_hours",
            "is_default",
        ]
        help_texts = {
            "week_hours": _(
                'Weekday 0 = Monday … 6 = Sunday, e.g. {"0": [["09:00", "12:00"], '
                '["13:30", "18:00"]]}; a missing weekday is a day off.'
            ),
        }

    def clean_week_hours(self):
        value = self.cleaned_data["week_hours"] or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Expected an object keyed by weekday 0–6."))
        for key, hours in value.items():
            if key not in {str(d) for d in range(7)}:
                raise forms.ValidationError(_("Weekdays are 0 (Monday) to 6 (Sunday)."))
            try:
                validate_hours(hours)
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(f"{key}: {exc}") from exc
        return value

    def clean_workday_hours(self):
        value = self.cleaned_data["workday_hours"] or []
        try:
            validate_hours(value)
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return value


class SlaPolicyForm(forms.ModelForm):
    elapsed_targets = forms.TypedMultipleChoiceField(
        label=_("targets counted in elapsed hours"),
        choices=SlaTarget.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "SLA targets of this policy that count elapsed (wall-clock) time "
            "instead of the calendar's business time."
        ),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "code",
            "name",
            "channel",
            "severity",
            "category",
            "calendar",
            "is_24x7",
            "first_response_minutes",
            "analysis_minutes",
            "reply_minutes",
            "resolution_minutes",
            "confirmation_minutes",
            "elapsed_targets",
            "warn_percent",
            "sort_order",
            "is_active",
        )


class CapaTransitionForm(forms.Form):
    """One CAPA transition (``complaints.services.capa.CAPA_ACTIONS``): the
    actions its status allows to ``actor`` (the lead-only ones, verify and
    cancel, to leads only), a note and the version the page showed."""

    action = forms.ChoiceField(label=_("action"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required to report completion (what was done), to verify "
            "(how effectiveness was checked) and to cancel (why it is not needed)."
        ),
    )
    evidence = forms.FileField(
        label=_("evidence file"),
        required=False,
        help_text=_(
            "With “Attach evidence”: the same file types and size as complaint attachments."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, capa, actor, **kwargs):
        from complaints.services.capa import CAPA_ACTIONS, capa_actions_for

        super().__init__(*args, **kwargs)
        choices = [
            (name, CAPA_ACTIONS[name][1])
            for name in capa_actions_for(capa, actor=actor)
        ]
        if capa.status not in (
            CorrectiveAction.Status.VERIFIED,
            CorrectiveAction.Status.CANCELLED,
        ):
            choices.append(("evidence", _("Attach evidence")))
        self.fields["action"].choices = choices
