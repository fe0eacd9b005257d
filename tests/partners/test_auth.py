"""API keys: authentication, storage, revocation, expiry, scopes, throttling."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from config.api.scopes import Scope
from partners.models import ApiKey
from partners.services import api_key_revoke

pytestmark = pytest.mark.django_db
KEY_URL = "/api/v1/key/"


def test_valid_key_authenticates_and_identifies_its_partner(partner_a, key_client):
    client = key_client(partner_a, scopes=[Scope.COMPLAINTS_READ])

    response = client.get(KEY_URL)

    assert response.status_code == 200
    assert response.json()["partner"] == "suda"
    assert response.json()["scopes"] == ["complaints:read"]
    client.api_key.refresh_from_db()
    assert client.api_key.last_used_at is not None


def test_key_is_stored_only_as_a_digest(partner_a, key_client):
    client = key_client(partner_a)
    row = ApiKey.objects.get(pk=client.api_key.pk)

    assert client.raw_key.startswith(f"kefu_{row.prefix}_")
    assert len(client.raw_key) > 50  # 32 random bytes + prefix
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert client.raw_key not in stored
    assert client.raw_key.split("_", 2)[2] not in stored


def test_missing_credentials_are_401_with_www_authenticate():
    response = APIClient().get(KEY_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["errors"] == {}


@pytest.mark.parametrize(
    "header",
    ["Api-Key kefu_nope_nope", "Api-Key garbage", "Api-Key ", "Api-Key a b"],
)
def test_wrong_key_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(KEY_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "WWW-Authenticate" in response


def test_right_prefix_wrong_secret_is_401(partner_a, key_client):
    good = key_client(partner_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {good.raw_key[:-2]}xx")

    assert client.get(KEY_URL).status_code == 401


def test_revoked_key_is_refused(partner_a, key_client):
    client = key_client(partner_a)
    api_key_revoke(actor=None, api_key=client.api_key)

    response = client.get(KEY_URL)

    assert response.status_code == 401
    assert ApiKey.objects.get(pk=client.api_key.pk).revoked_at is not None


def test_expired_key_is_refused(partner_a, key_client):
    client = key_client(partner_a, expires_at=timezone.now() + timedelta(days=1))
    assert client.get(KEY_URL).status_code == 200
    ApiKey.objects.filter(pk=client.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert client.get(KEY_URL).status_code == 401


def test_key_of_inactive_partner_is_refused(partner_a, key_client):
    client = key_client(partner_a)
    partner_a.is_active = False
    partner_a.save(update_fields=["is_active"])

    assert client.get(KEY_URL).status_code == 401


def test_staff_cannot_use_the_partner_only_key_endpoint(org, staff_client):
    response = staff_client(org.manager_a).get(KEY_URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_throttling_per_key_gives_429_with_retry_after(
    partner_a, partner_b, key_client, settings
):
    settings.KEFU_API_RATE = "3/min"
    client = key_client(partner_a)
    other = key_client(partner_b)

    codes = [client.get(KEY_URL).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    refused = client.get(KEY_URL)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    # Another key has its own budget.
    assert other.get(KEY_URL).status_code == 200


def test_create_api_key_command_creates_partner_and_prints_key_last(capsys):
    call_command(
        "create_api_key",
        "--partner",
        "新合作方 Shop",
        "--scopes",
        "complaints:read,complaints:write",
    )

    out = capsys.readouterr().out.strip().splitlines()
    raw = out[-1]
    assert raw.startswith("kefu_") and " " not in raw
    key = ApiKey.objects.select_related("partner").get(prefix=raw.split("_")[1])
    assert key.partner.name == "新合作方 Shop"
    assert key.scopes == ["complaints:read", "complaints:write"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get(KEY_URL).json()["partner"] == key.partner.code


def test_create_api_key_command_reuses_partner_and_rejects_bad_scope(partner_a):
    from django.core.management.base import CommandError

    call_command(
        "create_api_key", "--partner", "速达商城", "--scopes", "feedback:write"
    )
    assert partner_a.api_keys.count() == 1
    with pytest.raises(CommandError):
        call_command("create_api_key", "--partner", "速达商城", "--scopes", "root")
    assert partner_a.api_keys.count() == 1


def test_throttling_per_staff_user(org, staff_client, settings):
    settings.KEFU_API_RATE = "2/min"
    client = staff_client(org.agent_a)

    codes = [client.get("/api/v1/complaints/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert staff_client(org.agent_b).get("/api/v1/complaints/").status_code == 200


def test_staff_token_and_session_auth_work_on_the_same_endpoints(org, client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=org.manager_a)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.force_login(org.manager_a)

    by_token = api.get("/api/v1/complaints/")
    by_session = client.get("/api/v1/complaints/")

    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json() == by_session.json()
