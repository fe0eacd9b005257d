"""Data for live-server runs of the API (schemathesis)."""

from config.api.scopes import Scope
from tests.factories.complaints import make_complaint
from tests.factories.crm import CustomerFactory, PartnerFactory, RevisitFactory
from tests.factories.partners import WebhookEndpointFactory, make_api_key


def seed_api_data() -> str:
    """A partner with a key of every scope and some rows; returns the raw key."""
    partner = PartnerFactory(code="st-partner", name="Schemathesis 合作方")
    _key, raw = make_api_key(partner=partner, scopes=list(Scope.values))
    WebhookEndpointFactory(partner=partner)
    customer = CustomerFactory(partner=partner)
    RevisitFactory(customer=customer)
    for severity in ("urgent", "normal"):
        make_complaint(customer=customer, source_partner=partner, severity=severity)
    return raw
