"""Data for live-server runs of the API (schemathesis)."""

from partners.models import Scope
from tests.factories.crm import PartnerFactory
from tests.factories.partners import WebhookEndpointFactory, make_api_key


def seed_api_data() -> str:
    """A partner with a key of every scope and some rows; returns the raw key."""
    partner = PartnerFactory(code="st-partner", name="Schemathesis 合作方")
    _key, raw = make_api_key(partner=partner, scopes=list(Scope.values))
    WebhookEndpointFactory(partner=partner)
    return raw
