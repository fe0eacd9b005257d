"""Outbound HTTP of webhooks: which URLs Kefu may call, and a POST that goes
only to the address that was checked.

A partner chooses the URL, so without rules a webhook endpoint makes Kefu's
server call whatever it can reach (SSRF): the database port, the cloud metadata
service, the office network. The rules, applied at registration and again
before every attempt:

* ``https`` only; ``http`` too where ``KEFU_WEBHOOK_ALLOW_HTTP`` is set (local
  development and tests; never in production settings).
* No user name or password in the URL.
* The host is resolved and *every* address it resolves to must be a public
  internet address (``ipaddress``' ``is_global``). IPv4-mapped, 6to4 and NAT64
  IPv6 addresses are judged by the IPv4 address inside them.
  ``KEFU_WEBHOOK_ALLOW_PRIVATE`` also lets loopback and private ranges through
  (tests, a partner on the intranet); link-local (cloud metadata), multicast,
  unspecified and reserved addresses are refused whatever the settings.
* The request connects to the address just checked and sends the name in the
  ``Host`` header and TLS SNI (the certificate is verified against the name),
  so a DNS answer that changes between check and connection (rebinding) cannot
  send it elsewhere.
* Redirects are not followed (``http.client`` never follows them), and at most
  ``RESPONSE_READ_LIMIT`` bytes of an answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import gettext as _

# Bytes of an answer read for the delivery log; the rest is never read.
RESPONSE_READ_LIMIT = 1024

_NEVER = [
    ipaddress.ip_network("0.0.0.0/8"),  # "this network": 0.x reaches this host
    ipaddress.ip_network("fd00:ec2::254/128"),  # cloud metadata over IPv6
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use


class WebhookURLRefused(Exception):
    """Kefu may not call this URL.

    ``message`` is for the partner (translated, coarse: it does not say what a
    name resolved to); ``detail`` is for staff and the log.
    """

    def __init__(self, message: str, detail: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL: where to connect and what to send."""

    scheme: str
    host: str  # ASCII (IDNA) name or IP literal: the Host header and TLS SNI
    port: int
    path: str  # path and query of the request line
    addresses: tuple  # getaddrinfo() entries, every one of them checked


def _not_public() -> str:
    return _("This URL does not point to a public internet address.")


def _embedded_ipv4(ip):
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(text: str, *, allow_private: bool) -> str | None:
    """Why Kefu may not connect to the IP address ``text``, or None."""
    ip = ipaddress.ip_address(text)
    ip = _embedded_ipv4(ip) or ip
    if (
        ip.is_unspecified
        or ip.is_multicast
        or ip.is_link_local
        or any(ip in network for network in _NEVER)
    ):
        return "never allowed"
    local_nat64 = ip in _LOCAL_NAT64
    if ip.is_global and not ip.is_reserved and not local_nat64:
        return None
    if allow_private and (
        ip.is_loopback or local_nat64 or (ip.is_private and not ip.is_reserved)
    ):
        return None
    return "not a public address"


def webhook_target(url: str) -> WebhookTarget:
    """Check ``url`` against the rules above (resolving its host now) and
    return where to send; raise ``WebhookURLRefused`` otherwise."""
    allow_http = settings.KEFU_WEBHOOK_ALLOW_HTTP
    allow_private = settings.KEFU_WEBHOOK_ALLOW_PRIVATE
    invalid = _("Enter a valid URL.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookURLRefused(invalid, f"unparsable URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in (("https", "http") if allow_http else ("https",)):
        message = (
            _("Use an http:// or https:// URL.")
            if allow_http
            else _("Use an https:// URL.")
        )
        raise WebhookURLRefused(message, f"scheme {scheme!r} not allowed")
    if parts.username is not None or parts.password is not None:
        raise WebhookURLRefused(
            _("The URL must not contain a user name or password."),
            "credentials in the URL",
        )
    host = parts.hostname
    if not host:
        raise WebhookURLRefused(invalid, "no host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise WebhookURLRefused(invalid, f"bad host name ({exc})") from exc
    if port is None:
        port = 443 if scheme == "https" else 80
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=?~")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise WebhookURLRefused(_not_public(), f"{host} does not resolve") from exc
    addresses = tuple(dict.fromkeys(found))
    if not addresses:
        raise WebhookURLRefused(_not_public(), f"{host} does not resolve")
    for entry in addresses:
        address = entry[4][0]
        problem = address_problem(address, allow_private=allow_private)
        if problem:
            raise WebhookURLRefused(
                _not_public(), f"{host} resolves to {address} ({problem})"
            )
    return WebhookTarget(scheme, host, port, path, addresses)


def _tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs and the host name."""
    return ssl.create_default_context()


def _open_socket(address, timeout: float) -> socket.socket:
    """A TCP connection to one checked getaddrinfo() entry (no name lookup)."""
    family, kind, proto, _canonname, sockaddr = address
    sock = socket.socket(family, kind, proto)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to an address resolved and checked beforehand, never re-resolved."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = _open_socket(self._address, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and certificate check use the name."""

    def __init__(self, host, port, *, address, timeout):
        self._tls = _tls_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self):
        sock = _open_socket(self._address, self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def webhook_post(
    target: WebhookTarget, body: bytes, headers: dict, *, timeout: float
) -> tuple[int | None, str, str]:
    """POST ``body`` to a checked target; return (status code or None, error
    text for staff, start of the answer). Never raises for network trouble;
    Celery's ``SoftTimeLimitExceeded`` (an ``Exception``) is re-raised, never
    taken for a failed attempt."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = None
    error = ""
    for address in target.addresses:
        candidate = kind(target.host, target.port, address=address, timeout=timeout)
        try:
            candidate.connect()
        except SoftTimeLimitExceeded:
            candidate.close()
            raise  # the task's time is up: not the receiver's failure
        except Exception as exc:  # refused, unreachable, timeout, TLS
            candidate.close()
            error = _describe(exc)
            continue
        connection = candidate
        break
    if connection is None:
        return None, error, ""
    try:
        connection.request(
            "POST", target.path, body=body, headers={**headers, "Connection": "close"}
        )
        response = connection.getresponse()
        try:
            excerpt = response.read(RESPONSE_READ_LIMIT).decode("utf-8", "replace")
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # the status came; a slow or broken body changes nothing
            excerpt = ""
        return response.status, "", excerpt
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: not the receiver's failure
    except Exception as exc:  # timeouts, resets, malformed answers
        return None, _describe(exc), ""
    finally:
        connection.close()
