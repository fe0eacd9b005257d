"""Admin of API keys: the key is shown once at creation; revoke action."""

import re

import pytest
from django.contrib.messages import get_messages

from partners.models import ApiKey
from tests.factories.partners import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_x(client, org):
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    client.force_login(org.admin)
    return client


def test_admin_creates_key_and_shows_it_once(admin_client_x, partner_a):
    response = admin_client_x.post(
        "/admin/partners/apikey/add/",
        {
            "partner": partner_a.pk,
            "name": "商城对接",
            "scopes": ["complaints:read", "complaints:write"],
        },
        follow=True,
    )

    assert response.status_code == 200
    key = ApiKey.objects.get(partner=partner_a)
    assert key.scopes == ["complaints:read", "complaints:write"]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = [k for m in shown for k in re.findall(r"kefu_[0-9a-f]+_[\w-]+", m)]
    assert len(raw) == 1 and raw[0].split("_")[1] == key.prefix
    page = admin_client_x.get(f"/admin/partners/apikey/{key.pk}/change/")
    assert raw[0] not in page.content.decode()


def test_admin_revoke_action(admin_client_x, partner_a):
    key, _raw = make_api_key(partner=partner_a)

    admin_client_x.post(
        "/admin/partners/apikey/",
        {"action": "revoke_keys", "_selected_action": [key.pk]},
    )

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_lists_render(admin_client_x):
    for model in ("apikey", "webhookendpoint", "webhookdelivery"):
        assert admin_client_x.get(f"/admin/partners/{model}/").status_code == 200
