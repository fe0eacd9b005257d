"""Login lockout (django-axes) and the throttle on failed API credentials.

Lockout: KEFU_LOGIN_FAILURE_LIMIT failed logins for one username from one address
lock that pair for KEFU_LOGIN_COOLOFF_MINUTES, the right password included; an
administrator unlocks in the admin or with ``axes_reset_username``.
API: KEFU_API_AUTH_FAILURE_LIMIT wrong Api-Keys/Tokens from one address block
every credentialed request from it (429, JSON error, Retry-After) for the window.
"""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.settings import base as base_settings
from tests.factories.crm import PartnerFactory
from tests.factories.partners import make_api_key

LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests"  # tests.factories.crm.UserFactory
KEY_URL = "/api/v1/key/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lockout(settings):
    """Axes as configured for production (the test settings switch it off)."""
    settings.AXES_ENABLED = True
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    return settings


def _login(username, password, *, address="10.1.1.1", client=None, **extra):
    client = client or Client()
    response = client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **extra,
    )
    return client, response


def _fail(username, times, *, address="10.1.1.1", **extra):
    responses = [
        _login(username, "wrong-password", address=address, **extra)[1]
        for _ in range(times)
    ]
    return responses


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# ------------------------------------------------------------------- settings


def test_lockout_is_on_outside_the_test_settings():
    """Production/local settings keep axes on; only config.settings.test turns it off."""
    assert getattr(base_settings, "AXES_ENABLED", True) is True
    assert base_settings.AUTHENTICATION_BACKENDS[0] == (
        "axes.backends.AxesStandaloneBackend"
    )
    assert base_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert base_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_readme_documents_the_lockout_and_how_to_unlock():
    readme = (django_settings.BASE_DIR / "README.md").read_text()
    for needle in (
        "`KEFU_LOGIN_FAILURE_LIMIT`",
        "`KEFU_LOGIN_COOLOFF_MINUTES`",
        "`KEFU_API_AUTH_FAILURE_LIMIT`",
        "axes_reset_username",
    ):
        assert needle in readme


# -------------------------------------------------------------------- lockout


def test_fifth_failed_login_locks_the_account_with_a_chinese_page(org, lockout):
    responses = _fail("agent_a", 5)

    # Four ordinary failures: the login form again, with Django's error.
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert "请输入一个正确的" in responses[0].content.decode()
    locked = responses[4]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "账户已锁定" in html
    assert "登录失败次数过多，该账户已被锁定 15 分钟。" in html
    assert "请稍后再试，或联系系统管理员解锁。" in html
    assert locked["Retry-After"] == str(15 * 60)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("agent_a", "10.1.1.1")
    assert attempt.failures_since_start == 5


def test_locked_account_refuses_the_right_password(org, lockout):
    _fail("agent_a", 5)

    client, response = _login("agent_a", PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)


def test_lockout_page_follows_the_language_switch(org, lockout):
    _fail("agent_a", 4)
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"

    _client, response = _login("agent_a", "wrong", client=client)

    assert response.status_code == 429
    assert "this account is locked for 15 minutes" in response.content.decode()


def test_lock_is_per_username_and_address(org, lockout):
    """Another address may still log in as the user, and another user from the
    same address (a shared call-centre NAT) is not locked."""
    _fail("agent_a", 5, address="10.1.1.1")

    other_address, response = _login("agent_a", PASSWORD, address="10.2.2.2")
    assert response.status_code == 302 and _logged_in(other_address)
    colleague, response = _login("agent_b", PASSWORD, address="10.1.1.1")
    assert response.status_code == 302 and _logged_in(colleague)


def test_forwarded_for_does_not_dodge_the_lock_without_trusted_proxies(org, lockout):
    """X-Forwarded-For is the client's to write: with no trusted proxy it is ignored."""
    for n in range(5):
        _fail("agent_a", 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    _client, response = _login("agent_a", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_clients_are_told_apart(org, lockout):
    lockout.KEFU_TRUSTED_PROXY_COUNT = 1
    # the balancer (10.0.0.2) appends the real client to whatever the client sent
    _fail("agent_a", 5, address="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")

    blocked, response = _login(
        "agent_a", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert response.status_code == 429
    other, response = _login(
        "agent_a", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302 and _logged_in(other)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_lock_ends_after_the_cool_off(org, lockout):
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        _fail("agent_a", 5)
        traveller.shift(timedelta(minutes=14))
        assert _login("agent_a", PASSWORD)[1].status_code == 429
        traveller.shift(timedelta(minutes=16))

        client, response = _login("agent_a", PASSWORD)

    assert response.status_code == 302 and _logged_in(client)


def test_a_successful_login_resets_the_count(org, lockout):
    _fail("agent_a", 4)
    assert _login("agent_a", PASSWORD)[1].status_code == 302

    responses = _fail("agent_a", 4)

    assert [r.status_code for r in responses] == [200] * 4
    assert _login("agent_a", PASSWORD)[1].status_code == 302


# --------------------------------------------------------------------- unlock


def test_admin_role_sees_and_deletes_the_attempt_to_unlock(org, lockout):
    _fail("agent_a", 5)
    attempt = AccessAttempt.objects.get()
    admin = Client()
    admin.force_login(org.admin)  # the admin *role*, not a superuser
    assert not org.admin.is_superuser

    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    assert "agent_a" in listing.content.decode()
    assert "登录失败记录" in listing.content.decode()
    response = admin.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client, response = _login("agent_a", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_other_roles_cannot_see_or_clear_attempts(org, lockout):
    _fail("agent_a", 5)
    attempt = AccessAttempt.objects.get()
    manager = Client()
    manager.force_login(org.manager_a)

    assert manager.get("/admin/axes/accessattempt/").status_code == 403
    manager.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_axes_reset_username_command_unlocks(org, lockout):
    _fail("agent_a", 5)

    call_command("axes_reset_username", "agent_a")

    client, response = _login("agent_a", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


# ------------------------------------------------------------------------ API


@pytest.fixture
def api_limit(settings):
    assert settings.KEFU_API_AUTH_FAILURE_LIMIT == 20
    assert settings.KEFU_API_AUTH_FAILURE_WINDOW_MINUTES == 15
    settings.KEFU_API_AUTH_FAILURE_LIMIT = 3
    return settings


def _api(authorization=None, address="10.9.9.9", **extra):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(KEY_URL, REMOTE_ADDR=address, **extra)


def test_wrong_api_keys_from_one_address_get_429_even_for_a_valid_key(db, api_limit):
    _key, raw = make_api_key(partner=PartnerFactory())
    wrong = [_api("Api-Key kefu_nope_000000000000") for _ in range(3)]
    assert [r.status_code for r in wrong] == [401, 401, 401]
    assert wrong[0].json()["code"] == "authentication_failed"

    refused = _api("Api-Key kefu_nope_000000000000")
    valid_but_blocked = _api(f"Api-Key {raw}")

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["errors"] == {}
    assert "认证失败次数过多" in body["message"]
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    # decided: a valid key from a blocked address is refused too, or the block
    # would still tell a guesser which guess was right
    assert valid_but_blocked.status_code == 429
    assert valid_but_blocked.json()["code"] == "throttled"
    # another address is not affected
    assert _api(f"Api-Key {raw}", address="10.8.8.8").status_code == 200


def test_the_block_ends_with_the_window(db, api_limit):
    _key, raw = make_api_key(partner=PartnerFactory())
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        for _ in range(3):
            _api("Api-Key kefu_nope_000000000000")
        assert _api(f"Api-Key {raw}").status_code == 429
        traveller.shift(timedelta(minutes=16))

        response = _api(f"Api-Key {raw}")

    assert response.status_code == 200
    assert response.json()["partner"]


def test_valid_requests_do_not_reset_the_count(db, api_limit):
    _key, raw = make_api_key(partner=PartnerFactory())
    statuses = []
    for _ in range(3):
        statuses.append(_api("Api-Key kefu_nope_000000000000").status_code)
        statuses.append(_api(f"Api-Key {raw}").status_code)

    assert statuses == [401, 200, 401, 200, 401, 429]


def test_malformed_api_key_headers_count_too(db, api_limit):
    statuses = [_api("Api-Key a b").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


def test_wrong_tokens_count_and_block_a_valid_token(org, api_limit):
    token = Token.objects.create(user=org.agent_a)
    statuses = [_api("Token 0123456789abcdef").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]

    blocked = _api(f"Token {token.key}")

    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0
    ok = APIClient()
    ok.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ok.get("/api/v1/complaints/", REMOTE_ADDR="10.8.8.8").status_code == 200


def test_requests_without_credentials_are_not_counted(db, api_limit):
    _key, raw = make_api_key(partner=PartnerFactory())
    statuses = [_api().status_code for _ in range(5)]

    assert statuses == [401] * 5
    assert _api(f"Api-Key {raw}").status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(db, api_limit):
    _key, raw = make_api_key(partner=PartnerFactory())
    for n in range(3):
        _api("Api-Key kefu_nope_000000000000", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = _api(f"Api-Key {raw}", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


def test_trusted_proxy_count_separates_clients_behind_the_balancer(db, api_limit):
    api_limit.KEFU_TRUSTED_PROXY_COUNT = 1
    _key, raw = make_api_key(partner=PartnerFactory())
    for _ in range(3):
        _api(
            "Api-Key kefu_nope_000000000000",
            address="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )

    blocked = _api(
        f"Api-Key {raw}", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    other = _api(
        f"Api-Key {raw}", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )

    assert blocked.status_code == 429
    assert other.status_code == 200
