"""The partners selectors: keys and webhooks are administrators' business among
staff (every other role sees none), and a partner's API reads its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partners import selectors
from partners.models import WebhookAttempt, WebhookDelivery
from tests.factories import PartnerFactory
from tests.factories.partners import WebhookEndpointFactory, make_api_key
from tests.factories.readers import STAFF_READERS, labels, reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    w = org
    w.partners = {"p": PartnerFactory(code="p"), "q": PartnerFactory(code="q")}
    w.keys, w.endpoints, w.deliveries, w.attempts = {}, {}, {}, {}
    now = timezone.now()
    for label, partner in w.partners.items():
        key, _raw = make_api_key(partner=partner)
        w.keys[key.pk] = label
        endpoint = WebhookEndpointFactory(partner=partner)
        w.endpoints[endpoint.pk] = label
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="complaint.created",
            complaint_reference=f"TS-{label}",
            payload={},
            next_attempt_at=now,
        )
        w.deliveries[delivery.pk] = label
        attempt = WebhookAttempt.objects.create(
            delivery=delivery, number=1, attempted_at=now
        )
        w.attempts[attempt.pk] = label
    return w


ADMIN_ONLY = {role: set() for role in STAFF_READERS} | {"admin": {"p", "q"}}


@pytest.mark.parametrize(
    "name,rows",
    [
        ("api_key_list", "keys"),
        ("webhook_endpoint_list", "endpoints"),
        ("webhook_delivery_list", "deliveries"),
        ("webhook_attempt_list", "attempts"),
    ],
)
def test_staff_selectors_are_for_administrators(world, name, rows, subtests):
    for role in STAFF_READERS:
        with subtests.test(role=role):
            found = getattr(selectors, name)(user=reader(world, role))
            assert labels(found, getattr(world, rows)) == ADMIN_ONLY[role]


@pytest.mark.parametrize("label", ["p", "q"])
def test_a_partner_reads_its_own_endpoints_and_their_log(world, label):
    partner = world.partners[label]
    endpoints = list(selectors.webhook_endpoints_of(partner=partner))
    assert labels(endpoints, world.endpoints) == {label}
    log = selectors.webhook_deliveries_of(endpoint=endpoints[0])
    assert labels(log, world.deliveries) == {label}
    assert list(selectors.webhook_endpoints_of(partner=None)) == []


def test_deliveries_due_leave_out_leased_future_and_inactive_ones(world):
    now = timezone.now() + timedelta(seconds=1)
    due = selectors.webhook_deliveries_due(now=now)
    assert labels(due, world.deliveries) == {"p", "q"}
    p, q = (
        WebhookDelivery.objects.get(complaint_reference=ref) for ref in ("TS-p", "TS-q")
    )
    WebhookDelivery.objects.filter(pk=p.pk).update(
        lease_until=now + timedelta(minutes=1)
    )
    q.endpoint.is_active = False
    q.endpoint.save(update_fields=["is_active"])
    assert labels(selectors.webhook_deliveries_due(now=now), world.deliveries) == set()
    later = now + timedelta(minutes=2)  # the lease ran out
    assert labels(selectors.webhook_deliveries_due(now=later), world.deliveries) == {
        "p"
    }
    WebhookDelivery.objects.filter(pk=p.pk).update(next_attempt_at=later)
    assert labels(selectors.webhook_deliveries_due(now=now), world.deliveries) == set()
