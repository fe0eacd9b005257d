"""Factories of the partners app. Keys are made through the real service."""

import factory

from config.api.scopes import Scope
from partners.models import WebhookEndpoint, WebhookEvent
from partners.services import api_key_create
from tests.factories.crm import PartnerFactory

ALL_SCOPES = list(Scope.values)


def make_api_key(partner=None, scopes=None, **kwargs):
    """Return (ApiKey, raw key) for ``partner`` (a new one by default)."""
    return api_key_create(
        actor=None,
        partner=partner or PartnerFactory(),
        name=kwargs.pop("name", "test key"),
        scopes=ALL_SCOPES if scopes is None else scopes,
        **kwargs,
    )


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    partner = factory.SubFactory(PartnerFactory)
    url = "http://127.0.0.1:9/hook"
    secret = factory.Sequence(lambda n: f"whsec_test_secret_{n:08d}")
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))
