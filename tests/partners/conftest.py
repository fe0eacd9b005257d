"""Fixtures of the partner API tests."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories.crm import PartnerFactory
from tests.factories.partners import make_api_key


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and last-used markers live in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner_a(db):
    return PartnerFactory(code="suda", name="速达商城")


@pytest.fixture
def partner_b(db):
    return PartnerFactory(code="yunhai", name="云海物流")


@pytest.fixture
def key_client():
    """``key_client(partner, scopes=None)`` → APIClient sending that partner's key."""

    def make(partner, scopes=None, **kwargs):
        key, raw = make_api_key(partner=partner, scopes=scopes, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        client.api_key = key
        client.raw_key = raw
        return client

    return make


@pytest.fixture
def staff_client():
    """``staff_client(user)`` → APIClient logged in as that staff member."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def complaint_defaults(transactional_db):
    """Categories, calendar and SLA policies of the complaints data migration.

    A transactional test starts from a flushed database (an earlier one emptied
    it), so the rows that migrations put there are recreated here (idempotent).
    """
    from importlib import import_module

    from django.apps import apps

    import_module("complaints.migrations.0002_default_data").forwards(apps, None)
