"""Serializers of the customer and revisit endpoints (DESIGN §4)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api.credentials import partner_of
from crm.models import Customer, CustomerExternalId, Revisit
from crm.selectors import sees_personal_data


def require_contact_details(attrs: dict, request) -> None:
    """DESIGN §4: a customer comes with a phone and/or an e-mail. An external id
    alone is enough only to name a customer the partner already registered."""
    if attrs.get("phone") or attrs.get("email"):
        return
    partner = partner_of(request) if request is not None else None
    external_id = attrs.get("external_id")
    if (
        partner is not None
        and external_id
        and CustomerExternalId.objects.filter(
            partner=partner, external_id=external_id, customer__partner=partner
        ).exists()
    ):
        return
    raise serializers.ValidationError(
        {"phone": [_("Give a phone number or an e-mail.")]}
    )


class CustomerSerializer(serializers.ModelSerializer):
    """A customer. A partner only ever gets customers it registered (see
    ``crm.services.customers``); masking anything else is a second guard."""

    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    external_id = serializers.SerializerMethodField(
        help_text=_("The calling partner's id of the customer (staff: in-house id).")
    )

    class Meta:
        model = Customer
        fields = (
            "code",
            "name",
            "kind",
            "phone",
            "email",
            "external_id",
            "tier",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def _masked(self, obj) -> bool:
        partner = self.context.get("partner")
        if partner is None:
            # Staff: only roles that need personal data see it (DESIGN §1 Privacy).
            request = self.context.get("request")
            return request is None or not sees_personal_data(request.user)
        return obj.partner_id != partner.pk

    def get_phone(self, obj) -> str:
        return obj.phone_masked if self._masked(obj) else obj.phone

    def get_email(self, obj) -> str:
        return obj.email_masked if self._masked(obj) else obj.email

    def get_external_id(self, obj) -> str | None:
        return getattr(obj, "caller_external_id", None)


class CustomerInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/customers/``: found by external id, phone or
    e-mail, else created."""

    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)

    def validate(self, attrs):
        require_contact_details(attrs, self.context.get("request"))
        return attrs


class RevisitSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    complaint = serializers.SerializerMethodField(
        help_text=_("Reference of the complaint that caused the revisit.")
    )
    # Empty until the revisit is done; declared so the schema allows "".
    outcome = serializers.ChoiceField(
        choices=Revisit.Outcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Revisit
        fields = (
            "id",
            "customer",
            "complaint",
            "purpose",
            "method",
            "due_at",
            "status",
            "outcome",
            "satisfaction_score",
            "done_at",
            "created_at",
        )
        read_only_fields = fields

    def get_complaint(self, obj) -> str | None:
        complaint = getattr(obj, "complaint", None)
        return complaint.reference if complaint is not None else None
