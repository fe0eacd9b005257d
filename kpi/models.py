"""KPI indicators, role scorecards, period snapshots and quality inspections.

Indicators are data (created by a migration, editable by managers); the computation
service (``kpi.services.compute``) writes one ``KpiResult`` per (period, subject,
indicator) and one ``ScorecardResult`` per (period, staff member), replacing the
previous snapshot of the period. No business rules live in ``save()``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from crm.roles import Role


class Indicator(models.Model):
    """One KPI of the service standard (DESIGN §1 "KPIs"); ``code`` is stable."""

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("business minutes")
        HOURS = "hours", _("hours")
        PERCENT = "percent", _("percent")
        SCORE_5 = "score5", _("score (1–5)")
        SCORE_100 = "score100", _("score (0–100)")
        NPS = "nps", _("NPS points")
        COUNT = "count", _("count")
        YUAN = "yuan", _("yuan")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    definition = models.TextField(_("definition"))
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices
    )
    default_target = models.DecimalField(
        _("default target"), max_digits=12, decimal_places=4
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    @property
    def definition_text(self) -> str:
        """The definition in the active language: the stored (English) text is
        the message id of its translation."""
        return gettext(self.definition) if self.definition else ""

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless English is chosen)."""
        language = (get_language() or "zh-hans").lower()
        return self.name_en if language.startswith("en") else self.name_zh


class ScorecardTemplate(models.Model):
    """Which indicators count for a role, with weights (sum 100) and targets."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")
        ordering = ["role"]

    def __str__(self):
        return self.name


class ScorecardLine(models.Model):
    template = models.ForeignKey(
        ScorecardTemplate,
        verbose_name=_("scorecard template"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="scorecard_lines",
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    target = models.DecimalField(
        _("target"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: the indicator's default target."),
    )

    class Meta:
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        ordering = ["template", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "indicator"], name="kpi_line_unique_indicator"
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100),
                name="kpi_line_weight_range",
            ),
        ]

    def __str__(self):
        return f"{self.template} · {self.indicator} ({self.weight})"

    @property
    def effective_target(self) -> Decimal:
        return self.target if self.target is not None else self.indicator.default_target


class KpiPeriod(models.Model):
    """A month, quarter or year; ``start``/``end`` are local dates, end exclusive."""

    class Kind(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=10, unique=True)  # 2026-11, 2026-Q4
    start = models.DateField(_("start"))
    end = models.DateField(_("end (exclusive)"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI period")
        verbose_name_plural = _("KPI periods")
        ordering = ["-start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "start"], name="kpi_period_unique"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="kpi_period_range"
            ),
        ]

    def __str__(self):
        return self.key


class SubjectType(models.TextChoices):
    STAFF = "staff", _("staff member")
    TEAM = "team", _("team")
    DEPARTMENT = "department", _("department")


class KpiResult(models.Model):
    """One indicator's value for one subject over one period (a snapshot row).

    ``staff``/``team``/``department`` hold the subject and its organisational
    context at computation time (a staff row also names the staff member's team
    and department) so that ``crm.scoping`` narrows results like any other row.
    ``subject_id`` repeats the subject's primary key for the uniqueness rule.
    """

    # Snapshot rows are derived data written ~7,000 a month at a time: the unique
    # index below leads with the period, and the references carry no database
    # constraint or index of their own (PostgreSQL's deferred FK checks at commit
    # doubled the write time). Django still applies on_delete, and the next
    # computation rebuilds the rows.
    period = models.ForeignKey(
        KpiPeriod,
        verbose_name=_("period"),
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    subject_type = models.CharField(
        _("subject type"), max_length=12, choices=SubjectType.choices
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kpi_results",
        db_index=False,
        db_constraint=False,
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kpi_results",
        db_index=False,
        db_constraint=False,
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kpi_results",
        db_index=False,
        db_constraint=False,
    )
    value = models.DecimalField(
        _("value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    numerator = models.DecimalField(
        _("numerator"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    denominator = models.DecimalField(
        _("denominator"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    sample_size = models.PositiveIntegerField(_("sample size"), default=0)
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        ordering = ["period", "subject_type", "subject_id", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "indicator", "subject_type", "subject_id"],
                name="kpi_result_unique_subject",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="kpi_result_score_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "indicator"],
                name="kpi_result_subject_trend",
            ),
        ]

    def __str__(self):
        return (
            f"{self.period} {self.subject_type}:{self.subject_id} {self.indicator_id}"
        )


class ScorecardResult(models.Model):
    """A staff member's scorecard for a period: weighted score and rank in team."""

    period = models.ForeignKey(
        KpiPeriod,
        verbose_name=_("period"),
        on_delete=models.CASCADE,
        related_name="scorecards",
        db_index=False,  # the unique (period, staff) index leads with it
        db_constraint=False,  # derived rows: see KpiResult
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="kpi_scorecards",
        db_constraint=False,
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpi_scorecards",
        db_constraint=False,
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpi_scorecards",
        db_constraint=False,
    )
    template = models.ForeignKey(
        ScorecardTemplate,
        verbose_name=_("scorecard template"),
        on_delete=models.CASCADE,
        related_name="results",
        db_constraint=False,
    )
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    weight_covered = models.DecimalField(
        _("weight with data"), max_digits=5, decimal_places=2, default=0
    )
    rank_in_team = models.PositiveIntegerField(_("rank in team"), null=True, blank=True)
    team_size = models.PositiveIntegerField(_("ranked in team"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("scorecard result")
        verbose_name_plural = _("scorecard results")
        ordering = ["period", "team", "rank_in_team"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "staff"], name="kpi_scorecard_unique_staff"
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.staff}"


class DashboardSnapshot(models.Model):
    """What the dashboard shows of one department or team for a period beside
    its indicators, computed with them: the complaints received by category and
    by channel, the SLA breaches by clock kind and the latest breaches. The page
    reads this row and runs no aggregate of its own (a live "breaches by kind"
    took seconds at a million complaints).

    Lists are stored as computed (category codes and names, channel, cause and
    clock codes, timestamps in ISO form); labels are translated when shown. The
    cause types feed the Pareto chart, the category × channel cells the heat map;
    the QA items are ``qa_item_pass_rate`` split by checklist item.
    """

    period = models.ForeignKey(
        KpiPeriod,
        verbose_name=_("period"),
        on_delete=models.CASCADE,
        related_name="dashboards",
        db_index=False,  # the unique index leads with it
        db_constraint=False,  # derived rows: see KpiResult
    )
    subject_type = models.CharField(
        _("subject type"), max_length=12, choices=SubjectType.choices
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    categories = models.JSONField(_("complaints by category"), default=list)
    channels = models.JSONField(_("complaints by channel"), default=list)
    cause_types = models.JSONField(_("complaints by cause type"), default=list)
    category_channel = models.JSONField(
        _("complaints by category and channel"), default=list
    )
    breaches_by_kind = models.JSONField(_("SLA breaches by clock"), default=list)
    breach_total = models.PositiveIntegerField(_("SLA breaches"), default=0)
    latest_breaches = models.JSONField(_("latest SLA breaches"), default=list)
    # [[checklist code, item code, checklist name, item label, checks, passed]]
    qa_items = models.JSONField(_("QA pass rate by item"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "subject_type", "subject_id"],
                name="kpi_dashboard_unique_subject",
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.subject_type}:{self.subject_id}"


class SlaCounts(models.Model):
    """The counts of the SLA rollups (``SlaHour``, ``SlaDay``): per clock kind
    and the complaint's assignee, team and department, the clocks counted
    (``den``), those met by their due time (``num``) and those missed."""

    kind = models.CharField(_("kind"), max_length=16)
    staff_id = models.BigIntegerField(_("staff member"), null=True)
    team_id = models.BigIntegerField(_("team"), null=True)
    department_id = models.BigIntegerField(_("department"), null=True)
    num = models.PositiveIntegerField(_("numerator"))
    den = models.PositiveIntegerField(_("denominator"))
    missed = models.PositiveIntegerField(_("missed"))

    class Meta:
        abstract = True


class MeasureCounts(models.Model):
    """The counts of the measure rollups (``MeasureHour``, ``MeasureDay``): per
    source, indicator and the row's staff member, team and department, the
    measure's numerator, denominator and (NPS) detractors."""

    source = models.CharField(_("source"), max_length=40)
    code = models.CharField(_("indicator"), max_length=40)
    staff_id = models.BigIntegerField(_("staff member"), null=True)
    team_id = models.BigIntegerField(_("team"), null=True)
    department_id = models.BigIntegerField(_("department"), null=True)
    num = models.BigIntegerField(_("numerator"))
    den = models.BigIntegerField(_("denominator"))
    neg = models.BigIntegerField(_("detractors"))

    class Meta:
        abstract = True


class SlaHour(SlaCounts):
    """Hourly rollup of the SLA clocks that fell due (``sla_compliance_rate``'s
    rows, ``kpi.measures.SLA_TARGETS_DUE``): per hour of the due time (UTC
    hour start), clock kind and the complaint's assignee, team and department,
    the clocks counted (``den``), those met by their due time (``num``) and
    those missed.

    Derived rows, kept by ``kpi.services.rollups``: a month or a year of
    clocks is read from here instead of the clocks joined to their complaints
    (millions). Only hours that have ended are rolled up; the current hour is
    always read live.
    """

    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("SLA hourly rollup")
        verbose_name_plural = _("SLA hourly rollups")
        indexes = [models.Index(fields=["hour"], name="kpi_slahour_hour")]

    def __str__(self):
        return f"{self.hour} {self.kind}"


class MeasureHour(MeasureCounts):
    """Hourly rollup of a KPI source whose figures depend on its rows alone
    (``kpi.services.rollups.MEASURE_ROLLUPS``: complaints first resolved,
    surveys answered, attitude complaints, revisits due and done): per hour of
    the row's date field (UTC hour start),
    indicator and the row's staff member, team and department, the measure's
    numerator, denominator and (NPS) detractors, as the computation would
    sum them from the rows.

    Derived rows, kept by ``kpi.services.rollups``; a group of rows gets a row
    per measure of its source, zeros included (a staff member with rows but no
    sample still gets a result, as when read live)."""

    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("KPI hourly rollup")
        verbose_name_plural = _("KPI hourly rollups")
        indexes = [
            models.Index(fields=["source", "hour"], name="kpi_measurehour_hour"),
        ]

    def __str__(self):
        return f"{self.source} {self.hour} {self.code}"


class SlaDay(SlaCounts):
    """``SlaHour``'s rows summed over a whole local day (``day``: its start):
    a year reads 365 days of these instead of 8,760 hours. Derived from the
    hour rows by ``kpi.services.rollups`` once every hour of the day is rolled
    up, and dropped with the day's ``RollupDay`` when one of them is
    recomputed."""

    day = models.DateTimeField(_("day"))

    class Meta:
        verbose_name = _("SLA daily rollup")
        verbose_name_plural = _("SLA daily rollups")
        indexes = [models.Index(fields=["day"], name="kpi_sladay_day")]

    def __str__(self):
        return f"{self.day} {self.kind}"


class MeasureDay(MeasureCounts):
    """``MeasureHour``'s rows summed over a whole local day (``day``: its
    start), kept like ``SlaDay``."""

    day = models.DateTimeField(_("day"))

    class Meta:
        verbose_name = _("KPI daily rollup")
        verbose_name_plural = _("KPI daily rollups")
        indexes = [
            models.Index(fields=["source", "day"], name="kpi_measureday_day"),
        ]

    def __str__(self):
        return f"{self.source} {self.day} {self.code}"


class RollupDay(models.Model):
    """A local day [start, end) whose hours of ``source`` are also summed in
    its daily rollup (``SlaDay`` / ``MeasureDay``). The bounds are instants,
    so a reading uses a day only when it lies wholly in the period, whatever
    the time zone was when it was summed."""

    source = models.CharField(_("source"), max_length=40)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "start"], name="kpi_rollupday_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.start}"


class RollupChange(models.Model):
    """Written by database triggers (migrations ``0018_measure_rollups``,
    ``0020_revisits_done_rollup``) in
    the transaction of every write that can change a ``MeasureHour`` day of
    ``source``: the UTC date of the row's date field (before and after the
    change). Consumed by the next refresh, like ``SlaChange``."""

    source = models.CharField(_("source"), max_length=40)
    utc_day = models.DateField(_("UTC day"))

    class Meta:
        verbose_name = _("KPI change mark")
        verbose_name_plural = _("KPI change marks")

    def __str__(self):
        return f"{self.source} {self.utc_day}"


class RollupHour(models.Model):
    """An hour whose rollup rows (of ``source``) are computed and current. An
    hour without this row has not been rolled up yet; a changed clock makes
    the hours of its day stale through ``SlaChange``."""

    source = models.CharField(_("source"), max_length=40)
    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("rolled-up hour")
        verbose_name_plural = _("rolled-up hours")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "hour"], name="kpi_rolluphour_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.hour}"


class SlaChange(models.Model):
    """Written by database triggers (migration ``0017_sla_rollup``), in the
    transaction of every write that can change a rolled-up day: a clock
    inserted, deleted, or updated in a column the rollup reads (due time, met,
    paused, cancelled, kind, complaint), and a complaint whose assignee, team,
    department or rejection changed (the days of its clocks). ``utc_day`` is
    the UTC date of the clock's due time; the rolled-up hours of that day are
    recomputed on the next refresh, which deletes the marks it read by id (a
    mark committed meanwhile stays for the next one)."""

    utc_day = models.DateField(_("UTC day"))

    class Meta:
        verbose_name = _("SLA change mark")
        verbose_name_plural = _("SLA change marks")

    def __str__(self):
        return str(self.utc_day)


class Checklist(models.Model):
    """A quality-inspection checklist (质检评分表) of one kind, versioned.

    A checklist family shares its ``code``; each edit of a version that has been
    used by an inspection creates the next version (``kpi.services.checklists``),
    so an inspection keeps the very items it was scored on. One version of a
    family is active: new inspections and sampling plans use it.

    An item's score is read as a percentage of its ``max_score``; the total
    (0–100) is the weighted mean of those percentages. The inspection passes
    when every item reaches its pass mark and the total reaches the checklist's.
    """

    class Kind(models.TextChoices):
        CALL = "call", _("call")
        CHAT = "chat", _("online chat")
        ONSITE = "onsite", _("on-site appearance and environment")

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    pass_mark = models.DecimalField(
        _("pass mark of the total (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection checklist")
        verbose_name_plural = _("inspection checklists")
        ordering = ["kind", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="kpi_checklist_code_version"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(is_active=True),
                name="kpi_checklist_one_active_version",
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    """One scored item of a checklist version (never changed once used)."""

    checklist = models.ForeignKey(
        Checklist,
        verbose_name=_("inspection checklist"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("item"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), default=100, validators=[MinValueValidator(1)]
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The share of the maximum score the item must reach."),
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["checklist", "code"], name="kpi_checklist_item_code"
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="kpi_checklist_item_weight"
            ),
        ]

    def __str__(self):
        return self.label


class QualityInspection(models.Model):
    """A QA inspector's checklist score of one complaint, interaction or (on-site
    checklists) of a staff member's appearance and workplace (质检).

    ``staff`` is the staff member whose work was inspected (by default the
    complaint's assignee or the interaction's staff member). The scores are
    ``InspectionScore`` rows, one per item of ``checklist`` (the version used);
    ``total`` (0–100) and ``passed`` are set by
    ``kpi.services.inspections.inspection_record``.
    """

    # The items of the call checklist v1 (the six items scored 0–10 before
    # checklists were data; migration 0012 made them ChecklistItem codes).
    CHECKLIST = (
        "polite_language",
        "clarity",
        "tone",
        "listening",
        "accuracy",
        "compliance",
    )
    ITEM_MAX = 10

    checklist = models.ForeignKey(
        Checklist,
        verbose_name=_("inspection checklist"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="inspections_made",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member inspected"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    interaction = models.ForeignKey(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    inspected_at = models.DateTimeField(_("inspected at"))
    total = models.DecimalField(_("total score"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"), default=True)
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality inspection")
        verbose_name_plural = _("quality inspections")
        ordering = ["-inspected_at"]
        indexes = [
            models.Index(fields=["inspected_at"], name="kpi_inspection_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=100),
                name="kpi_inspection_total_range",
            ),
        ]

    def __str__(self):
        return f"{self.staff} {self.inspected_at:%Y-%m-%d} {self.total}"


class InspectionScore(models.Model):
    """One item's score in one inspection (the item of the version used)."""

    inspection = models.ForeignKey(
        QualityInspection,
        verbose_name=_("quality inspection"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("checklist item"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    passed = models.BooleanField(_("passed"))

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["inspection", "item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "item"], name="kpi_inspection_item_once"
            ),
        ]

    def __str__(self):
        return f"{self.item}: {self.score}"


class SamplingPlan(models.Model):
    """抽样计划: a share of each agent's closed complaints of one team, per
    period, drawn daily into the QA inspectors' queues (``InspectionSample``)
    by ``kpi.draw_inspection_samples``."""

    class Period(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")

    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="sampling_plans",
    )
    checklist = models.ForeignKey(
        Checklist,
        verbose_name=_("inspection checklist"),
        on_delete=models.PROTECT,
        related_name="sampling_plans",
        help_text=_("Inspections use the active version of this checklist."),
    )
    period = models.CharField(
        _("period"), max_length=16, choices=Period.choices, default=Period.MONTH
    )
    rate = models.DecimalField(
        _("share sampled (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    min_per_agent = models.PositiveSmallIntegerField(_("at least per agent"), default=2)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("QA inspectors"),
        related_name="sampling_plans",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")
        ordering = ["team_id", "name"]

    def __str__(self):
        return self.name


class InspectionSample(models.Model):
    """A complaint drawn by a sampling plan into an inspector's queue; done
    when its inspection is recorded. A complaint is drawn once per plan."""

    plan = models.ForeignKey(
        SamplingPlan,
        verbose_name=_("sampling plan"),
        on_delete=models.PROTECT,
        related_name="samples",
    )
    period_key = models.CharField(_("period"), max_length=10)
    period_start = models.DateField(_("period start"))
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="inspection_samples",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member inspected"),
        on_delete=models.PROTECT,
        related_name="inspection_samples",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="inspection_queue",
    )
    drawn_on = models.DateField(_("drawn on"))
    inspection = models.OneToOneField(
        QualityInspection,
        verbose_name=_("quality inspection"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sample",
    )

    class Meta:
        verbose_name = _("inspection sample")
        verbose_name_plural = _("inspection samples")
        ordering = ["-drawn_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "complaint"], name="kpi_sample_once_per_plan"
            ),
        ]
        indexes = [
            models.Index(fields=["inspector", "inspection"], name="kpi_sample_queue"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.complaint_id}"


class AuditPlan(models.Model):
    """A standing plan of service-standard audits (季度/半年度审核) of a
    department or a team: who audits, how often, against which checklist.

    The beat job ``kpi.open_due_audits`` opens one ``ServiceAudit`` per plan and
    period (quarter or half-year); the audit copies the checklist, so editing the
    plan later leaves earlier audits as they were audited.
    """

    class Cadence(models.TextChoices):
        QUARTERLY = "quarterly", _("quarterly")
        HALF_YEARLY = "half_yearly", _("half-yearly")

    name = models.CharField(_("name"), max_length=200)
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="audit_plans",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_plans",
        help_text=_("Leave empty to audit the whole department."),
    )
    cadence = models.CharField(
        _("cadence"), max_length=16, choices=Cadence.choices, default=Cadence.QUARTERLY
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auditor"),
        on_delete=models.PROTECT,
        related_name="audit_plans",
    )
    checklist = models.TextField(
        _("checklist"), help_text=_("One item of the service standard per line.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit plan")
        verbose_name_plural = _("audit plans")
        ordering = ["department_id", "name"]

    def __str__(self):
        return self.name

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class ServiceAudit(models.Model):
    """One audit of a plan for one period: opened → in progress → reported.
    Changed only through ``kpi.services.audits``."""

    class Status(models.TextChoices):
        OPEN = "open", _("to be audited")
        IN_PROGRESS = "in_progress", _("being audited")
        REPORTED = "reported", _("reported")

    plan = models.ForeignKey(
        AuditPlan,
        verbose_name=_("audit plan"),
        on_delete=models.PROTECT,
        related_name="audits",
    )
    period_key = models.CharField(_("period"), max_length=10)  # 2026-Q4, 2026-H2
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="audits",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audits",
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auditor"),
        on_delete=models.PROTECT,
        related_name="audits",
    )
    checklist = models.TextField(_("checklist"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    summary = models.TextField(_("summary and conclusion"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("service-standard audit")
        verbose_name_plural = _("service-standard audits")
        ordering = ["-period_start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_start"], name="kpi_audit_once_per_period"
            )
        ]

    def __str__(self):
        return f"{self.plan.name} · {self.period_key}"

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class AuditFinding(models.Model):
    """A nonconformity found by an audit against one checklist item; a major or
    critical one needs a corrective action (CAPA) before the audit is reported."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("minor")
        MAJOR = "major", _("major")
        CRITICAL = "critical", _("critical")

    audit = models.ForeignKey(
        ServiceAudit,
        verbose_name=_("service-standard audit"),
        on_delete=models.CASCADE,
        related_name="findings",
    )
    item = models.CharField(_("checklist item"), max_length=300)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("finding"))
    capa = models.ForeignKey(
        "complaints.CorrectiveAction",
        verbose_name=_("corrective action (CAPA)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_findings",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.item}"
