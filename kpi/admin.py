"""Admin for KPI configuration (indicators, scorecards) and inspections.

Results are read-only snapshots here; the manager pages under /kpi/ show them.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors as complaint_selectors
from config.errors import DomainError
from crm.admin_base import (
    ScopedModelAdmin,
    ScopedTabularInline,
    adopt_saved,
)
from kpi import selectors
from kpi.models import (
    Checklist,
    ChecklistItem,
    Indicator,
    InspectionScore,
    KpiPeriod,
    KpiResult,
    QualityInspection,
    ScorecardLine,
    ScorecardResult,
    ScorecardTemplate,
)
from kpi.services.inspections import default_checklist, inspection_record
from kpi.services.scorecards import scorecard_set_lines, validate_weights


@admin.register(Indicator)
class IndicatorAdmin(ScopedModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "unit",
        "direction",
        "default_target",
        "is_active",
    )
    list_filter = ("unit", "direction", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    readonly_fields = ("code",)
    ordering = ("sort_order",)

    def has_add_permission(self, request):
        return False  # each code needs a measure in kpi.measures

    def has_delete_permission(self, request, obj=None):
        return False


class ScorecardLineFormSet(forms.BaseInlineFormSet):
    """The lines kept must weigh 100 in total."""

    def clean(self):
        super().clean()
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("weight") is not None
        ]
        try:
            validate_weights([Decimal(w) for w in weights])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class ScorecardLineInline(ScopedTabularInline):
    model = ScorecardLine
    formset = ScorecardLineFormSet
    extra = 0
    autocomplete_fields = ("indicator",)


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(ScopedModelAdmin):
    list_display = ("role", "name", "is_active", "updated_at")
    inlines = (ScorecardLineInline,)

    def save_formset(self, request, form, formset, change):
        # The lines are replaced whole by the service (weights, indicators once).
        kept = [
            line.cleaned_data
            for line in formset.forms
            if line.cleaned_data and not line.cleaned_data.get("DELETE")
        ]
        scorecard_set_lines(
            actor=request.user,
            template=form.instance,
            lines=[
                (data["indicator"].code, data["weight"], data.get("target"))
                for data in kept
            ],
        )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )


@admin.register(KpiPeriod)
class KpiPeriodAdmin(ScopedModelAdmin):
    list_display = ("key", "kind", "start", "end", "computed_at")
    list_filter = ("kind",)
    readonly_fields = ("key", "kind", "start", "end", "computed_at")


@admin.register(KpiResult)
class KpiResultAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.result_list)
    list_display = (
        "period",
        "subject_type",
        "staff",
        "team",
        "department",
        "indicator",
        "value",
        "target",
        "score",
        "sample_size",
    )
    list_filter = ("period__kind", "subject_type", "indicator")
    list_select_related = ("period", "staff", "team", "department", "indicator")
    search_fields = ("period__key", "staff__name", "staff__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScorecardResult)
class ScorecardResultAdmin(KpiResultAdmin):
    selector = staticmethod(selectors.scorecard_result_list)
    list_display = ("period", "staff", "team", "template", "score", "rank_in_team")
    list_filter = ("period__kind", "template")
    list_select_related = ("period", "staff", "team", "template")


class ComplaintReferenceField(forms.ModelChoiceField):
    """A complaint typed as its reference (TS…), the number people know (a bare
    number is still taken as the row's id); the choices stay the admin's scoped
    queryset."""

    widget = forms.TextInput(attrs={"placeholder": "TS202611030001", "size": 24})

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("to_field_name", "reference")
        kwargs.setdefault(
            "help_text", _("The complaint's reference, as shown on the complaint.")
        )
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": _("No complaint you may see has this reference.")},
        )
        super().__init__(queryset, **kwargs)

    def to_python(self, value):
        value = str(value or "").strip().upper()
        if value.isdigit():  # an id, as the raw-id widget sent it
            try:
                return self.queryset.get(pk=value)
            except self.queryset.model.DoesNotExist:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int):  # initial data names the row by id
            found = self.queryset.filter(pk=value).values_list("reference", flat=True)
            return next(iter(found), value)
        return super().prepare_value(value)


class QualityInspectionForm(forms.ModelForm):
    """The inspection's record and one score field per item of the checklist
    chosen (``QualityInspectionAdmin.get_form`` adds them, named by item code)."""

    class Meta:
        model = QualityInspection
        fields = (
            "checklist",
            "complaint",
            "interaction",
            "staff",
            "inspected_at",
            "comments",
        )

    score_codes: tuple[str, ...] = ()
    checklist_used: Checklist | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty: the complaint's assignee or the interaction's staff member. (The
        # change page is read-only: its form has no fields at all.)
        if "staff" in self.fields:
            self.fields["staff"].required = False
        if "checklist" in self.fields:
            self.fields["checklist"].queryset = Checklist.objects.filter(is_active=True)
            self.fields["checklist"].required = False
            self.fields["checklist"].help_text = _(
                "Another checklist: choose it and save; the form then shows its items."
            )

    def clean(self):
        data = super().clean()
        # Not chosen: the checklist whose items the form shows.
        checklist = data.get("checklist") or self.checklist_used
        data["checklist"] = checklist
        complaint, interaction = data.get("complaint"), data.get("interaction")
        onsite = checklist is not None and checklist.kind == Checklist.Kind.ONSITE
        if complaint is None and interaction is None and not onsite:
            raise forms.ValidationError(
                _("Choose the complaint or interaction inspected.")
            )
        staff = (
            data.get("staff")
            or (complaint.assignee if complaint else None)
            or (interaction.staff if interaction else None)
        )
        if staff is None:
            self.add_error("staff", _("Choose the staff member inspected."))
        data["staff"] = staff
        return data

    def _post_clean(self):
        # Model validation happens in the service (it computes the total).
        pass


def score_field(item: ChecklistItem) -> forms.DecimalField:
    return forms.DecimalField(
        label=item.label,
        min_value=0,
        max_value=item.max_score,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "max": item.max_score, "step": 1}),
        help_text=_("Score from 0 to %(max)s; passes at %(mark)s %% or more.")
        # "60", not "6E+1" (Decimal.normalize of 60.00)
        % {"max": item.max_score, "mark": format(item.pass_mark.normalize(), "f")},
    )


class InspectionScoreInline(ScopedTabularInline):
    model = InspectionScore
    selector = staticmethod(selectors.inspection_score_list)
    fields = ("item", "score", "passed")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QualityInspection)
class QualityInspectionAdmin(ScopedModelAdmin):
    form = QualityInspectionForm
    selector = staticmethod(selectors.quality_inspection_list)
    list_display = (
        "inspected_at",
        "staff",
        "inspector",
        "checklist",
        "complaint",
        "interaction",
        "total",
        "passed",
    )
    list_filter = ("passed", "checklist__kind")
    list_select_related = (
        "staff",
        "inspector",
        "complaint",
        "interaction",
        "checklist",
    )
    raw_id_fields = ("interaction",)
    autocomplete_fields = ("staff",)
    readonly_fields = ("total", "passed")
    date_hierarchy = "inspected_at"
    search_fields = ("complaint__reference",)
    inlines = (InspectionScoreInline,)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request, obj=None):
        # The total and the verdict come from the scores: none before saving
        # (an empty add form showed "passed ✓").
        return self.readonly_fields if obj is not None else ()

    def _checklist_for(self, request) -> Checklist | None:
        """The checklist whose items the add form scores: the one posted or
        asked for (``?checklist=``), else the default of the complaint asked
        for (its sample's plan, its channel), else the call checklist.
        Resolved once per request (the form, its initial data and the page ask)."""
        if not hasattr(request, "_inspection_checklist"):
            request._inspection_checklist = self._resolve_checklist(request)
        return request._inspection_checklist

    def _resolve_checklist(self, request) -> Checklist | None:
        wanted = request.POST.get("checklist") or request.GET.get("checklist")
        if wanted and str(wanted).isdigit():
            found = Checklist.objects.filter(pk=wanted, is_active=True).first()
            if found is not None:
                return found
        reference = (request.GET.get("complaint") or "").strip().upper()
        complaint = None
        if reference:
            complaint = (
                complaint_selectors.complaint_list(user=request.user)
                .filter(reference=reference)
                .first()
            )
        return default_checklist(complaint)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        checklist = self._checklist_for(request)
        items = list(checklist.items.order_by("position", "pk")) if checklist else []
        codes = tuple(item.code for item in items)
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"]:
            # the score fields are declared on the form below, not model fields
            kwargs["fields"] = [f for f in kwargs["fields"] if f not in codes]
        base = super().get_form(request, obj, change, **kwargs)
        attrs = {item.code: score_field(item) for item in items}
        attrs["score_codes"] = codes
        form = type(base)(base.__name__, (base,), attrs)
        form.checklist_used = checklist
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "complaint" and field is not None:
            # Typed by reference; the queryset is the scoped one of the mixin.
            return ComplaintReferenceField(
                field.queryset, required=False, label=field.label
            )
        return field

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request):
        # An inspection is usually recorded as it is done: now, unless changed.
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("inspected_at", timezone.localtime().replace(microsecond=0))
        checklist = self._checklist_for(request)
        if checklist is not None:
            initial["checklist"] = checklist.pk
        return initial

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = inspection_record(
            actor=request.user,
            checklist=data.get("checklist"),
            staff=data.get("staff"),
            complaint=data.get("complaint"),
            interaction=data.get("interaction"),
            scores={code: data.get(code) for code in form.score_codes},
            comments=data.get("comments", ""),
            inspected_at=data.get("inspected_at"),
        )
        adopt_saved(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass  # the scores are saved by the service


# registers the audit admins, and those of checklists, sampling plans, the queue
from kpi import admin_audits, admin_quality  # noqa: E402,F401
