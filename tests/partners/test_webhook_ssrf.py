"""Webhook URLs cannot make Kefu call its own network (SSRF).

Refused at registration (API and admin) and again at every delivery: anything
but https (http only where allowed), credentials in the URL, and any host that
resolves to a loopback, private, link-local, multicast, reserved or unspecified
address (IPv4 and IPv6, IPv4-mapped, 6to4 and NAT64 included). A delivery
connects to the address it checked, follows no redirect, reads only the start
of an answer, and partners see only a coarse outcome. DNS is a table here
(``fake_dns``); nothing is looked up on, or sent to, the internet.
"""

import os
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.utils import timezone

from config.api.scopes import Scope
from partners import webhook_http
from partners.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from partners.webhook_outbox import webhook_enqueue
from partners.webhooks import webhook_deliver_due
from tests.conftest import PUBLIC_TEST_ADDRESS
from tests.factories.partners import WebhookEndpointFactory
from tests.partners.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
API = "/api/v1/webhooks/"
ADMIN_ADD = "/admin/partners/webhookendpoint/add/"
SECRET = "whsec_ssrf_test_secret_0001"

BAD_URLS = [
    pytest.param("http://127.0.0.1:5432/", id="loopback-database-port"),
    pytest.param("http://[::1]/hook", id="loopback-ipv6"),
    pytest.param("http://0.0.0.0/", id="unspecified"),
    pytest.param("http://0.1.2.3/", id="this-network"),
    pytest.param("http://169.254.169.254/latest/meta-data", id="cloud-metadata"),
    pytest.param("http://10.0.0.1", id="private-10"),
    pytest.param("https://172.16.5.4/hook", id="private-172"),
    pytest.param("https://192.168.1.10/hook", id="private-192"),
    pytest.param("https://100.64.0.1/", id="carrier-grade-nat"),
    pytest.param("https://224.0.0.1/", id="multicast"),
    pytest.param("https://240.0.0.1/", id="reserved"),
    pytest.param("https://255.255.255.255/", id="broadcast"),
    pytest.param("http://[::ffff:127.0.0.1]/", id="ipv4-mapped-loopback"),
    pytest.param("https://[::ffff:a9fe:a9fe]/", id="ipv4-mapped-metadata"),
    pytest.param("https://[2002:7f00:1::1]/", id="6to4-loopback"),
    pytest.param("https://[64:ff9b::a9fe:a9fe]/", id="nat64-metadata"),
    pytest.param("https://[fe80::1]/", id="link-local-ipv6"),
    pytest.param("https://[fd12:3456::1]/", id="unique-local-ipv6"),
    pytest.param("https://[ff02::1]/", id="multicast-ipv6"),
    pytest.param("https://internal.partner.test/hook", id="name-to-loopback"),
    pytest.param("https://mixed.partner.test/hook", id="name-to-public-and-private"),
    pytest.param("https://nowhere.partner.test/hook", id="name-unresolvable"),
    pytest.param("ftp://example.com/", id="ftp"),
    pytest.param("https://user:pw@shop.example.cn/hook", id="credentials"),
]


@pytest.fixture(autouse=True)
def dns(fake_dns, settings):
    """Production rules, except that http:// is allowed so that the address
    rules (not the scheme rule) are what refuse the http:// URLs above."""
    settings.KEFU_WEBHOOK_ALLOW_HTTP = True
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns.add("shop.example.cn", PUBLIC_TEST_ADDRESS)
    fake_dns.add("example.com", PUBLIC_TEST_ADDRESS)
    fake_dns.add("internal.partner.test", "127.0.0.1")
    fake_dns.add("mixed.partner.test", PUBLIC_TEST_ADDRESS, "10.0.0.7")
    return fake_dns


@pytest.fixture
def sockets(monkeypatch):
    """Records every connection Kefu opens for a webhook (and refuses it)."""
    opened = []
    real = webhook_http._open_socket

    def record(address, timeout):
        opened.append(address[4])
        if address[4][0] in ("127.0.0.1", "::1"):
            return real(address, timeout)
        raise ConnectionRefusedError("test: no internet")

    monkeypatch.setattr(webhook_http, "_open_socket", record)
    return opened


@pytest.fixture
def admin_client(client, org):
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    client.force_login(org.admin)
    return client


def _enqueue(partner, reference="TS202612010001", event="complaint.created"):
    complaint = SimpleNamespace(
        reference=reference,
        status="received",
        severity="normal",
        channel="api",
        category=SimpleNamespace(code="service_quality"),
        subject="包裹破损",
        received_at=timezone.now(),
        updated_at=timezone.now(),
        source_partner_id=partner.pk,
    )
    return webhook_enqueue(event=event, complaint=complaint)


def _register(client, url):
    return client.post(
        API, {"url": url, "events": ["complaint.created"]}, format="json"
    )


# --------------------------------------------------------------- registration


@pytest.mark.parametrize("url", BAD_URLS)
def test_api_refuses_to_register_a_url_kefu_may_not_call(partner_a, key_client, url):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    response = _register(client, url)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["url"] and body["errors"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", BAD_URLS)
def test_admin_refuses_to_register_a_url_kefu_may_not_call(
    admin_client, partner_a, url
):
    response = admin_client.post(
        ADMIN_ADD,
        {
            "partner": partner_a.pk,
            "url": url,
            "secret": SECRET,
            "events": ["complaint.created"],
            "description": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_the_messages_say_what_is_wrong_in_chinese(partner_a, key_client, settings):
    settings.KEFU_WEBHOOK_ALLOW_HTTP = False
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    def message(url):
        return _register(client, url).json()["errors"]["url"][0]

    assert message("https://10.0.0.1/") == "该地址不是可公开访问的互联网地址。"
    assert (
        message("https://nowhere.partner.test/") == "该地址不是可公开访问的互联网地址。"
    )
    assert message("http://shop.example.cn/hook") == "请使用 https:// 地址。"
    assert message("ftp://example.com/") == "请使用 https:// 地址。"
    assert message("https://a:b@shop.example.cn/") == "地址中不能包含用户名或密码。"
    client.cookies["django_language"] = "en"
    assert message("https://10.0.0.1/") == (
        "This URL does not point to a public internet address."
    )


def test_http_needs_the_setting_and_https_to_a_public_host_is_accepted(
    partner_a, key_client, settings
):
    settings.KEFU_WEBHOOK_ALLOW_HTTP = False
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    assert _register(client, "http://shop.example.cn/hook").status_code == 400
    created = _register(client, "https://shop.example.cn/hook")
    settings.KEFU_WEBHOOK_ALLOW_HTTP = True
    allowed = _register(client, "http://shop.example.cn/other")

    assert created.status_code == 201 and allowed.status_code == 201
    assert sorted(WebhookEndpoint.objects.values_list("url", flat=True)) == [
        "http://shop.example.cn/other",
        "https://shop.example.cn/hook",
    ]


def test_allow_private_lets_loopback_through_but_never_metadata(
    partner_a, key_client, settings
):
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = True
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    assert _register(client, "http://127.0.0.1:8001/hook").status_code == 201
    assert _register(client, "http://10.0.0.1/hook").status_code == 201
    for never in (
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[fd00:ec2::254]/",
    ):
        assert _register(client, never).status_code == 400, never
    assert WebhookEndpoint.objects.count() == 2


def test_changing_the_url_is_checked_too(partner_a, key_client, settings):
    endpoint = WebhookEndpointFactory(
        partner=partner_a, url="https://shop.example.cn/hook"
    )
    legacy = WebhookEndpointFactory(partner=partner_a, url="http://127.0.0.1:9/old")
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])

    refused = client.patch(
        f"{API}{endpoint.pk}/",
        {"url": "http://169.254.169.254/latest/meta-data"},
        format="json",
    )
    # An endpoint registered before the rules can still be switched off.
    switched_off = client.patch(
        f"{API}{legacy.pk}/", {"is_active": False}, format="json"
    )

    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://shop.example.cn/hook"
    assert switched_off.status_code == 200
    legacy.refresh_from_db()
    assert not legacy.is_active


def test_admin_change_refuses_a_new_bad_url(admin_client, partner_a):
    endpoint = WebhookEndpointFactory(
        partner=partner_a, url="https://shop.example.cn/hook", secret=SECRET
    )

    response = admin_client.post(
        f"/admin/partners/webhookendpoint/{endpoint.pk}/change/",
        {
            "partner": partner_a.pk,
            "url": "https://internal.partner.test/hook",
            "secret": SECRET,
            "events": ["complaint.created"],
            "description": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://shop.example.cn/hook"


# ------------------------------------------------------------------- delivery


@pytest.mark.parametrize("url", BAD_URLS)
def test_delivery_to_a_url_kefu_may_not_call_is_refused_without_connecting(
    partner_a, sockets, url
):
    """E.g. an endpoint saved before these rules, or by a data import."""
    endpoint = WebhookEndpointFactory(partner=partner_a, url=url)
    _enqueue(partner_a)

    counts = webhook_deliver_due()

    assert counts == {"delivered": 0, "failed": 1}
    assert sockets == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_outcome == "refused"
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("refused: ")
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == delivery.last_error and attempt.status_code is None
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1  # refusals count as failures


def test_dns_rebinding_valid_at_registration_private_at_delivery(
    partner_a, key_client, dns, sockets
):
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    dns.add("rebind.partner.test", PUBLIC_TEST_ADDRESS)
    assert _register(client, "https://rebind.partner.test/hook").status_code == 201

    dns.add("rebind.partner.test", "127.0.0.1")  # the attacker's DNS changes
    _enqueue(partner_a)
    webhook_deliver_due()

    assert sockets == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_outcome == "refused"
    assert "127.0.0.1" in delivery.last_error  # the detail, for staff


def test_delivery_connects_to_the_address_it_checked(partner_a, dns, sockets, settings):
    """Resolved once per attempt; the connection goes to that address with the
    name in the Host header (no second lookup a rebinding DNS could answer)."""
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = True
    dns.add("pinned.partner.test", "127.0.0.1")
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        WebhookEndpointFactory(
            partner=partner_a, url=f"http://pinned.partner.test:{port}/hook?x=1"
        )
        _enqueue(partner_a)
        dns.lookups.clear()

        assert webhook_deliver_due() == {"delivered": 1, "failed": 0}

    assert dns.lookups == ["pinned.partner.test"]
    assert sockets == [("127.0.0.1", port)]
    (request,) = receiver.requests
    assert request["path"] == "/hook?x=1"
    assert request["headers"]["Host"] == f"pinned.partner.test:{port}"
    assert WebhookDelivery.objects.get().last_outcome == "delivered"


class _Server:
    """A local HTTP(S) server whose answer is ``respond(handler)``; records
    every request (any method)."""

    def __init__(self, respond, tls=None):
        self.requests = []
        self.done = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                try:
                    respond(self)
                finally:
                    server.done.set()

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_redirects_are_not_followed(partner_a, local_webhooks):
    def elsewhere(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with _Server(elsewhere) as target:

        def redirect(handler):
            handler.send_response(302)
            handler.send_header("Location", f"http://127.0.0.1:{target.port}/x")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with _Server(redirect) as first:
            WebhookEndpointFactory(
                partner=partner_a, url=f"http://127.0.0.1:{first.port}/hook"
            )
            _enqueue(partner_a)

            assert webhook_deliver_due() == {"delivered": 0, "failed": 1}

    assert [r["method"] for r in first.requests] == ["POST"]
    assert target.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_outcome == "failed"
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302 (redirects are not followed)"


def test_a_huge_answer_is_read_only_up_to_the_cap(partner_a, local_webhooks):
    limit = 256 * 1024 * 1024
    sent = {"bytes": 0, "cut_off": False}

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 65536
        try:
            while sent["bytes"] < limit:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent["bytes"] += len(chunk)
        except OSError:  # Kefu closed the connection
            sent["cut_off"] = True

    with _Server(endless) as server:
        WebhookEndpointFactory(
            partner=partner_a, url=f"http://127.0.0.1:{server.port}/hook"
        )
        _enqueue(partner_a)

        assert webhook_deliver_due() == {"delivered": 1, "failed": 0}
        assert server.done.wait(30)

    assert sent["cut_off"] and sent["bytes"] < limit
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200
    assert attempt.response_excerpt == "x" * 500


def _certificate(tmp_path, name):
    """A self-signed certificate for ``name``; returns (cert path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
            False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_goes_to_the_checked_address_with_the_name_for_sni_and_certificate(
    partner_a, dns, settings, monkeypatch, tmp_path
):
    settings.KEFU_WEBHOOK_ALLOW_HTTP = False  # https only, as in production
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = True  # the test server is on 127.0.0.1
    dns.add("secure.partner.test", "127.0.0.1")
    dns.add("impostor.partner.test", "127.0.0.1")
    cert, key = _certificate(tmp_path, "secure.partner.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names = []
    server_tls.sni_callback = lambda sock, name, context: names.append(name)
    monkeypatch.setattr(
        webhook_http,
        "_tls_context",
        lambda: ssl.create_default_context(cafile=str(cert)),
    )

    def ok(handler):
        handler.send_response(204)
        handler.end_headers()

    with _Server(ok, tls=server_tls) as server:
        good = WebhookEndpointFactory(
            partner=partner_a, url=f"https://secure.partner.test:{server.port}/h"
        )
        bad = WebhookEndpointFactory(
            partner=partner_a, url=f"https://impostor.partner.test:{server.port}/h"
        )
        _enqueue(partner_a)

        assert webhook_deliver_due() == {"delivered": 1, "failed": 1}

    (request,) = server.requests
    assert request["headers"]["Host"] == f"secure.partner.test:{server.port}"
    assert names[0] == "secure.partner.test"
    assert good.deliveries.get().last_outcome == "delivered"
    refused = bad.deliveries.get()  # certificate for another name
    assert refused.last_outcome == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in refused.last_error


# ------------------------------------------------------------ what partners see


def test_partners_see_only_a_coarse_outcome(
    partner_a, key_client, admin_client, settings, local_webhooks
):
    """No error text that says whether a port is open; staff keep the detail."""
    client = key_client(partner_a, scopes=[Scope.WEBHOOKS_MANAGE])
    created = ["complaint.created"]
    closed_port = WebhookEndpointFactory(
        partner=partner_a, url="http://127.0.0.1:9/", events=created
    )
    with Receiver([500]) as failing, Receiver([200]) as working:
        erroring = WebhookEndpointFactory(
            partner=partner_a, url=failing.url, events=created
        )
        fine = WebhookEndpointFactory(
            partner=partner_a, url=working.url, events=created
        )
        _enqueue(partner_a)
        webhook_deliver_due()
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE = False
    refused = WebhookEndpointFactory(
        partner=partner_a, url="http://127.0.0.1:22/", events=["complaint.resolved"]
    )
    _enqueue(partner_a, event="complaint.resolved")
    webhook_deliver_due()

    def seen(endpoint):
        response = client.get(f"{API}{endpoint.pk}/deliveries/")
        assert response.status_code == 200
        (row,) = response.json()["results"]
        return response.content.decode(), row

    text, row = seen(closed_port)
    assert set(row) == {
        "id",
        "event_id",
        "event",
        "complaint_reference",
        "status",
        "attempts",
        "last_outcome",
        "last_status_class",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "held",
    }
    assert (row["last_outcome"], row["last_status_class"]) == ("failed", None)
    for leak in ("Connection", "refused", "Errno", "last_error"):
        assert leak not in text
    assert seen(erroring)[1]["last_outcome"] == "failed"
    assert seen(erroring)[1]["last_status_class"] == "5xx"
    assert (seen(fine)[1]["last_outcome"], seen(fine)[1]["last_status_class"]) == (
        "delivered",
        "2xx",
    )
    text, row = seen(refused)
    assert (row["last_outcome"], row["last_status_class"]) == ("refused", None)
    assert "127.0.0.1" not in text
    # Staff keep the detail in the admin's delivery log.
    delivery = closed_port.deliveries.get()
    assert delivery.last_error.startswith("ConnectionRefusedError")
    page = admin_client.get(
        f"/admin/partners/webhookdelivery/{delivery.pk}/change/"
    ).content.decode()
    assert "ConnectionRefusedError" in page


# ------------------------------------------------------------------- settings


def test_the_switches_are_off_by_default():
    """Also in the test settings: a test that needs a local receiver says so
    (fixture ``local_webhooks``); every other one runs under the real rules."""
    from config.settings import base
    from config.settings import test as test_settings

    for module in (base, test_settings):
        assert module.KEFU_WEBHOOK_ALLOW_HTTP is False
        assert module.KEFU_WEBHOOK_ALLOW_PRIVATE is False


def test_production_refuses_http_whatever_the_environment_says():
    from tests.config.test_settings import PRODUCTION_ENV, ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV, KEFU_WEBHOOK_ALLOW_HTTP="true")
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.KEFU_WEBHOOK_ALLOW_HTTP, s.KEFU_WEBHOOK_ALLOW_PRIVATE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"
