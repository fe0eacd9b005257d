"""Serializers of the complaints API (DESIGN §4). Input serializers validate the
shape; the services enforce the rules. Codes on the wire are the model choices."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import (
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    SatisfactionSurvey,
    SlaTarget,
)
from complaints.services.capa import CAPA_ACTIONS, capa_actions_for
from crm.api.serializers import require_contact_details

CAPA_ACTION_NAMES = tuple(CAPA_ACTIONS)
CAPA_OPEN_STATUSES = (
    CorrectiveAction.Status.OPEN,
    CorrectiveAction.Status.IN_PROGRESS,
    CorrectiveAction.Status.INEFFECTIVE,
)
TOP_LEVEL_CATEGORIES = ("service_quality", "attitude", "process", "product", "other")


class CustomerRefSerializer(serializers.Serializer):
    """The customer of a complaint, as much as the caller needs to match it."""

    code = serializers.CharField(help_text=_("Kefu customer number."))
    name = serializers.CharField()
    external_id = serializers.CharField(
        allow_null=True,
        help_text=_("The calling partner's own id of the customer, if it gave one."),
    )


class SlaSerializer(serializers.Serializer):
    """Due times of the complaint's service-level targets (null: no target)."""

    first_response_due_at = serializers.DateTimeField(allow_null=True)
    analysis_due_at = serializers.DateTimeField(allow_null=True)
    reply_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    confirmation_due_at = serializers.DateTimeField(allow_null=True)


SLA_FIELDS = tuple(SlaSerializer._declared_fields)


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint as partners and staff read it."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subcategory = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    customer = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    resolution_type = serializers.ChoiceField(
        choices=Complaint.ResolutionType.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Complaint
        fields = (
            "reference",
            "status",
            "severity",
            "channel",
            "category",
            "subcategory",
            "subject",
            "description",
            "order_number",
            "occurred_at",
            "desired_resolution",
            "customer",
            "sla",
            "received_at",
            "first_response_at",
            "replied_at",
            "resolved_at",
            "closed_at",
            "resolution_type",
            "reopened_count",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(CustomerRefSerializer)
    def get_customer(self, obj):  # documents the field; see to_representation
        return complaint_json(complaint_row(obj))["customer"]

    @extend_schema_field(SlaSerializer)
    def get_sla(self, obj):  # documents the field; see to_representation
        return complaint_json(complaint_row(obj))["sla"]

    def to_representation(self, instance):
        """Same shape as the declared fields, built directly: the list renders
        ``.values()`` rows (dicts) with it, the detail a model instance."""
        row = instance if isinstance(instance, dict) else complaint_row(instance)
        return complaint_json(row)


# The rendering of a complaint from a flat row (``.values()`` keys). The
# declared fields above document it; this does the work, several times faster
# than DRF's per-field dispatch, which matters on 200-row pages.
PLAIN_FIELDS = (
    "reference",
    "status",
    "severity",
    "channel",
    "subject",
    "description",
    "order_number",
    "desired_resolution",
    "resolution_type",
    "reopened_count",
    "version",
)
DATETIME_FIELDS = (
    "occurred_at",
    "received_at",
    "first_response_at",
    "replied_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
)
ROW_KEYS = (
    "pk",
    *PLAIN_FIELDS,
    *DATETIME_FIELDS,
    *SLA_FIELDS,
    "category__code",
    "subcategory__code",
    "customer__code",
    "customer__name",
    "customer_external_id",
)


def complaint_row(complaint) -> dict:
    """A complaint instance (with category, subcategory, customer) as a row."""
    row = {
        name: getattr(complaint, name)
        for name in (*PLAIN_FIELDS, *DATETIME_FIELDS, *SLA_FIELDS)
    }
    row["pk"] = complaint.pk
    row["category__code"] = complaint.category.code
    row["subcategory__code"] = (
        complaint.subcategory.code if complaint.subcategory_id else None
    )
    row["customer__code"] = complaint.customer.code
    row["customer__name"] = complaint.customer.name
    row["customer_external_id"] = getattr(complaint, "customer_external_id", None)
    return row


def _datetime_json():
    """DRF's DateTimeField output (ISO 8601 in the current time zone, Z for UTC)."""
    tz = timezone.get_current_timezone()

    def to_json(value):
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return to_json


def complaint_json(row: dict, to_json=None) -> dict:
    to_json = to_json or _datetime_json()
    data = {
        "reference": row["reference"],
        "status": row["status"],
        "severity": row["severity"],
        "channel": row["channel"],
        "category": row["category__code"],
        "subcategory": row["subcategory__code"],
        "subject": row["subject"],
        "description": row["description"],
        "order_number": row["order_number"],
        "occurred_at": to_json(row["occurred_at"]),
        "desired_resolution": row["desired_resolution"],
        "customer": {
            "code": row["customer__code"],
            "name": row["customer__name"],
            "external_id": row["customer_external_id"],
        },
        "sla": {name: to_json(row[name]) for name in SLA_FIELDS},
    }
    for name in DATETIME_FIELDS[1:]:
        data[name] = to_json(row[name])
    data["resolution_type"] = row["resolution_type"]
    data["reopened_count"] = row["reopened_count"]
    data["version"] = row["version"]
    return data


def complaints_json(rows) -> list[dict]:
    to_json = _datetime_json()
    return [complaint_json(row, to_json) for row in rows]


class ComplaintCustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )

    def validate(self, attrs):
        require_contact_details(attrs, self.context.get("request"))
        return attrs


class ComplaintCreateSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/complaints/``."""

    customer = ComplaintCustomerInputSerializer()
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    category = serializers.CharField(
        max_length=50,
        help_text=_("Top-level category code: %(codes)s.")
        % {"codes": ", ".join(TOP_LEVEL_CATEGORIES)},
    )
    subcategory = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=_("Subcategory code (editable data), optional."),
    )
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField()
    severity = serializers.ChoiceField(
        choices=Complaint.Severity.choices, required=False
    )
    order_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    desired_resolution = serializers.CharField(required=False, allow_blank=True)


class ComplaintEventSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(
        choices=Complaint.Status.choices, allow_blank=True, read_only=True
    )
    to_status = serializers.ChoiceField(
        choices=Complaint.Status.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ComplaintEvent
        fields = ("id", "kind", "from_status", "to_status", "note", "created_at")
        read_only_fields = fields


class FeedbackInputSerializer(serializers.Serializer):
    csat = serializers.IntegerField(
        min_value=1, max_value=5, help_text=_("Satisfaction, 1 (worst) to 5 (best).")
    )
    nps = serializers.IntegerField(
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        help_text=_("Likelihood to recommend, 0 to 10."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FeedbackSerializer(serializers.ModelSerializer):
    complaint = serializers.CharField(source="complaint.reference")

    class Meta:
        model = SatisfactionSurvey
        fields = ("complaint", "cycle", "csat", "nps", "comment", "answered_at")
        read_only_fields = fields


# --- staff transitions ---------------------------------------------------------


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The version you read; if the complaint changed since, 409 "
            "version_conflict and nothing changes."
        ),
    )


class NoteInputSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CloseInputSerializer(NoteInputSerializer):
    root_cause = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Required for a service-quality or process complaint attributed to a "
            "staff error or the process (unless recorded before)."
        ),
    )


class ReasonInputSerializer(VersionedSerializer):
    reason = serializers.CharField()


class AssignInputSerializer(VersionedSerializer):
    assignee = serializers.CharField(
        required=False, help_text=_("Username of the staff member.")
    )
    team = serializers.CharField(required=False, help_text=_("Team code."))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AnalysisInputSerializer(VersionedSerializer):
    cause_hypothesis = serializers.CharField()
    cause_type = serializers.ChoiceField(
        choices=Complaint.CauseType.choices, required=False
    )
    impact_scope = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False)
    subcategory = serializers.CharField(required=False)
    severity = serializers.ChoiceField(
        choices=Complaint.Severity.choices, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReplyInputSerializer(VersionedSerializer):
    body = serializers.CharField()
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices, required=False)


class NoteBodyInputSerializer(VersionedSerializer):
    body = serializers.CharField()


class ResolveInputSerializer(VersionedSerializer):
    resolution_type = serializers.ChoiceField(choices=Complaint.ResolutionType.choices)
    resolution_summary = serializers.CharField(required=False, allow_blank=True)
    compensation_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    cause_type = serializers.ChoiceField(
        choices=Complaint.CauseType.choices, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SeverityInputSerializer(VersionedSerializer):
    severity = serializers.ChoiceField(choices=Complaint.Severity.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class OverrideDueInputSerializer(VersionedSerializer):
    kind = serializers.ChoiceField(
        choices=SlaTarget.Kind.choices, help_text=_("The SLA clock to move.")
    )
    due_at = serializers.DateTimeField(help_text=_("The new due time."))
    reason = serializers.CharField()


class AttachInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("The file (multipart/form-data); size and types are limited.")
    )


# --- CAPA (corrective and preventive actions) ------------------------------------


class StaffRefSerializer(serializers.Serializer):
    """A staff member as the API names them."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class CapaSerializer(serializers.Serializer):
    """A CAPA: its action, owner, due date, linked complaints (references),
    completion and verification, and the actions its status allows."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=CorrectiveAction.Kind.choices)
    status = serializers.ChoiceField(choices=CorrectiveAction.Status.choices)
    root_cause = serializers.CharField()
    action = serializers.CharField()
    owner = StaffRefSerializer()
    due_date = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    complaints = serializers.SerializerMethodField()
    completion_note = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    verification_note = serializers.CharField()
    verified_by = StaffRefSerializer(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, obj) -> bool:
        return obj.status in CAPA_OPEN_STATUSES and obj.due_date < timezone.localdate()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_complaints(self, obj) -> list[str]:
        return sorted(c.reference for c in obj.complaints.all())

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=CAPA_ACTION_NAMES))
    )
    def get_actions(self, obj) -> list[str]:
        # The caller's: an owner is not offered the lead-only actions. Without
        # a request, nobody's roles: the lead-only actions are left out.
        request = self.context.get("request")
        actor = getattr(request, "user", None) or AnonymousUser()
        return capa_actions_for(obj, actor=actor)


class CapaCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(help_text=_("What was done."))
    version = serializers.IntegerField(required=False, min_value=1)


class CapaCancelSerializer(serializers.Serializer):
    note = serializers.CharField(help_text=_("Why the action is not needed."))
    version = serializers.IntegerField(required=False, min_value=1)


class CapaVerifySerializer(serializers.Serializer):
    effective = serializers.BooleanField(
        help_text=_("False: not effective; the action goes back to work.")
    )
    note = serializers.CharField(help_text=_("How effectiveness was checked."))
    version = serializers.IntegerField(required=False, min_value=1)


class CapaStartSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)
