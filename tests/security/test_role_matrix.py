"""Issue 11, the matrix: every principal's reach over every URL of the portal.

The expected answers are the tables of ``tests/security/matrix_data.py`` (read
them with docs/security.md); this module runs one test per cell against the
organisation of ``tests/security/matrix_world.py``, built once for the module
(one transaction rolled back at the end; each test runs in a savepoint of it).

Per cell it asserts the status, that a refusal shows nothing of the object, and
for writes that a refusal changed nothing. ``test_every_url_has_a_row`` fails
when the project has a URL (an admin, a custom admin view, a page, an API
operation) without a row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security import matrix_data as data
from tests.security.matrix_world import build_world

pytestmark = pytest.mark.django_db

ADMIN_KINDS = ("changelist", "add", "change", "history", "delete")


# --- the organisation, once per module ---------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix organisation, plus a signed-in session per staff principal.

    Built in one transaction that is rolled back after the module's last test;
    each test runs in a savepoint inside it (pytest-django's ``db``), so writes
    of one cell never reach the next. Refusals are expected by the thousand
    here: Django's "Forbidden" log lines are silenced for the module.
    """
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)  # 5xx are still logged (and fail a cell)
    # The navigation sidebar repeats the index's list of models on every page:
    # off here, it saves a third of each page's rendering (the index is a cell).
    sidebar = admin.site.enable_nav_sidebar
    admin.site.enable_nav_sidebar = False
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    with django_db_blocker.unblock():
        media.enable()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = build_world()
            w.sessions = {}
            for principal, name in data.PRINCIPAL_USER.items():
                client = Client()
                client.force_login(w.get(name))
                w.sessions[principal] = client.cookies[
                    settings.SESSION_COOKIE_NAME
                ].value
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            media.disable()
            request_log.setLevel(level)
            admin.site.enable_nav_sidebar = sidebar


def client_for(w, principal: str) -> Client:
    """A new client signed in as ``principal`` (its module-wide session)."""
    if principal == data.KEY:
        return Client(HTTP_AUTHORIZATION=f"Api-Key {w.raw_key_a}")
    client = Client()
    if principal != data.ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[principal]
    return client


def user_of(w, principal: str):
    return w.get(data.PRINCIPAL_USER[principal])


# --- objects of a cell ---------------------------------------------------------------------


def admin_object(w, label: str, principal: str, scope: str):
    inside, outside = data.ADMIN_OBJECTS[label]
    if scope == "out":
        return w.get(outside)
    name = inside.get(principal, inside["*"]) if isinstance(inside, dict) else inside
    if name == data.OWN:
        user = data.PRINCIPAL_USER.get(principal, "agent_a")
        return w.get(f"notification_{user}")
    if name == data.SELF:
        return user_of(w, principal)
    return w.get(name)


def admin_pk(label: str, obj):
    # DRF's token admin names a token by its user's id.
    return obj.user_id if label == "authtoken.tokenproxy" else obj.pk


def marker(obj) -> str | None:
    """A string only this object's page would show (for "shows nothing")."""
    for attribute in ("reference", "code", "username"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and len(value) >= 6:
            return value
    return None


def snapshot(obj):
    """The stored row of ``obj`` (None once deleted)."""
    row = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if row is None else model_to_dict(row)


# --- assertions shared by every surface -------------------------------------------------------


def assert_answer(response, expected: str, label: str):
    code = response.status_code
    assert code < 500, f"{label}: server error {code}"
    if expected == data.LOGIN:
        assert code == 302, f"{label}: {code}, expected the login page"
        assert response["Location"].startswith(reverse("admin:login") + "?next="), (
            f"{label}: sent to {response['Location']}"
        )
        return
    assert code == int(expected), f"{label}: {code}, expected {expected}"
    if code == 302:
        assert not response["Location"].startswith(reverse("admin:login")), label


def assert_shows_nothing(response, obj, label: str):
    text = marker(obj)
    if text is not None and not getattr(response, "streaming", False):
        assert text not in response.content.decode(errors="replace"), (
            f"{label}: a refusal shows {text}"
        )


def refused(expected: str) -> bool:
    return expected not in ("200", "201", "204")


# --- the admin -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminCell:
    label: str  # model label, e.g. "crm.customer"
    kind: str  # changelist, add, change, change out, ..., save, save out
    principal: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.principal}-{self.label} {self.kind}-{self.expected}"


def _admin_cells():
    for (label, kind), cells in sorted(data.ADMIN.items()):
        for principal, expected in cells.items():
            yield AdminCell(label, kind, principal, expected)


ADMIN_CELLS = list(_admin_cells())


def _saved(response) -> bool:
    """A change form accepted: Django's "changed successfully" message."""
    from django.contrib import messages

    levels = {m.level for m in get_messages(response.wsgi_request)}
    return response.status_code == 302 and messages.SUCCESS in levels


def _out_of_reach_redirect(response, label: str):
    """Django's answer for an object the queryset does not hold: to the admin
    index, with the same message as for an id that does not exist."""
    assert response["Location"] == reverse("admin:index"), label
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1 and "ID" in texts[0], (label, texts)


@pytest.mark.parametrize("cell", ADMIN_CELLS, ids=lambda c: c.id)
def test_admin(world, cell: AdminCell):
    w = world
    app_label, model_name = cell.label.split(".")
    view, _sep, scope = cell.kind.partition(" ")
    client = client_for(w, cell.principal)
    prefix = f"admin:{app_label}_{model_name}"
    name = cell.id
    if view in ("changelist", "add"):
        url = reverse(f"{prefix}_{view}")
        model = admin_model(cell.label)
        before = model._default_manager.count()
        response = client.get(url)
        assert_answer(response, cell.expected, f"GET {url} as {cell.principal}")
        if view == "add" and refused(cell.expected):
            # the form's POST is refused alike, and creates nothing
            response = client.post(url, {})
            assert_answer(response, cell.expected, f"POST {url} as {cell.principal}")
            assert model._default_manager.count() == before, name
        return
    obj = admin_object(w, cell.label, cell.principal, scope or "in")
    pk = admin_pk(cell.label, obj)
    url_name = {"save": "change"}.get(view, view)
    url = reverse(f"{prefix}_{url_name}", args=[pk])
    before = snapshot(obj)
    if view == "save":
        # An empty change form: refused, or sent back with errors (or saved
        # unchanged where every field is read-only); the row never changes.
        response = client.post(url, {})
        method = "POST"
    else:
        response = client.get(url)
        method = "GET"
    label = f"{method} {url} ({cell.kind}) as {cell.principal}"
    assert_answer(response, cell.expected, label)
    if refused(cell.expected):
        assert_shows_nothing(response, obj, label)
    # Is the row in the principal's reach (the outside row: when its change
    # page opens for them, e.g. administrators, trainers on training rows)?
    reachable = scope != "out" or (
        data.ADMIN.get((cell.label, "change out"), {}).get(cell.principal) == "200"
    )
    out_of_reach = not (view == "save" and reachable)
    if cell.expected == "302" and cell.principal in data.STAFF_ALL and out_of_reach:
        _out_of_reach_redirect(response, label)
    if view == "delete" and refused(cell.expected):
        response = client.post(url, {"post": "yes"})
        assert_answer(response, cell.expected, f"POST {url} as {cell.principal}")
    if view == "save" and reachable and _saved(response):
        return  # a permitted save of the empty form (every field optional)
    if view == "save" or refused(cell.expected):
        assert snapshot(obj) == before, f"{label}: the row changed"


def admin_model(label: str):
    app_label, model_name = label.split(".")
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name):
            return model
    raise LookupError(label)


# --- custom admin views and the admin site's own URLs ---------------------------------------


@dataclass(frozen=True)
class Cell:
    table: str
    subject: str
    kind: str
    principal: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.principal}-{self.subject} {self.kind}-{self.expected}"


def _cells(table_name: str):
    rows = getattr(data, table_name)
    return [
        Cell(table_name, subject, kind, principal, expected)
        for (subject, kind), cells in sorted(rows.items())
        for principal, expected in cells.items()
    ]


def admin_view_request(w, cell: Cell):
    """(method, url, body, the object whose row must not change on a refusal)."""
    method, _sep, scope = cell.kind.partition(" ")
    out = scope == "out"
    name = cell.subject
    if name == "app_list":
        return "GET", reverse("admin:app_list", args=[scope]), None, None
    if name == "final_catch_all":
        return "GET", "/admin/no-such-page/", None, None
    if name == "autocomplete":
        query = "?app_label=complaints&model_name=complaint&field_name=customer&term="
        return "GET", reverse("admin:autocomplete") + query, None, None
    if name == "view_on_site":
        complaint = w.comp_b if out else w.comp_a
        content_type = ContentType.objects.get_for_model(complaint)
        url = reverse("admin:view_on_site", args=[content_type.pk, complaint.pk])
        return method, url, None, None
    if name == "complaints_complaint_workflow":
        complaint = w.comp_b if out else w.comp_a
        url = reverse(f"admin:{name}", args=[complaint.pk])
        return method, url, {}, complaint
    if name == "complaints_correctiveaction_transition":
        capa = w.capa_b if out else w.capa_a
        return method, reverse(f"admin:{name}", args=[capa.pk]), {}, capa
    if name == "complaints_article_use":
        complaint = w.comp_b if out else w.comp_a
        url = reverse(f"admin:{name}", args=[w.article.pk, complaint.pk])
        return method, url, {}, None
    if name == "kpi_serviceaudit_step":
        audit = w.audit_b if out else w.audit_a
        return method, reverse(f"admin:{name}", args=[audit.pk]), {}, audit
    if name == "training_trainingsession_attendance":
        url = reverse(f"admin:{name}", args=[w.session.pk])
        return method, url, {}, w.session
    if name == "auth_user_password_change":
        staff = w.agent_b if out else w.agent_a
        return method, reverse(f"admin:{name}", args=[staff.pk]), {}, staff
    return method, reverse(f"admin:{name}"), {}, None


@pytest.mark.parametrize("cell", _cells("ADMIN_VIEWS"), ids=lambda c: c.id)
def test_admin_views(world, cell: Cell):
    w = world
    method, url, body, obj = admin_view_request(w, cell)
    client = client_for(w, cell.principal)
    before = snapshot(obj) if obj is not None else None
    response = client.post(url, body) if method == "POST" else client.get(url)
    label = f"{method} {url} as {cell.principal}"
    assert_answer(response, cell.expected, label)
    if obj is not None:
        assert snapshot(obj) == before, f"{label}: the row changed"
        if refused(cell.expected):
            assert_shows_nothing(response, obj, label)
    if cell.subject == "autocomplete" and response.status_code == 200:
        found = {int(row["id"]) for row in response.json()["results"]}
        assert w.cust_a.pk in found, label
        assert cell.principal == data.ADM or w.cust_b.pk not in found, label


# --- pages outside the admin: /kpi/, attachments, the rest -----------------------------------


def page_request(w, cell: Cell):
    """(method, url, body, texts the answer must show, texts it must not)."""
    method, _sep, rest = cell.kind.partition(" ")
    out = rest == "out"
    period = f"?period={w.period.key}"
    staff = w.agent_b if out else w.agent_a
    name = cell.subject
    nothing = ((), ())
    if name == "kpi:dashboard":
        return method, reverse(name) + period, None, *nothing
    if name == "kpi:staff":
        return method, reverse(name, args=[staff.pk]) + period, None, *nothing
    if name == "kpi:drill":
        url = reverse(name, args=[w.kpi_result_a.indicator.code])
        return method, f"{url}{period}&subject=staff:{staff.pk}", None, *nothing
    if name == "kpi:recompute":
        return method, reverse(name), {"period": w.period.key}, *nothing
    if name == "kpi:export":
        fmt = "&format=xlsx" if rest == "xlsx" else ""
        # Rows of the reader's scope only: department B's agent for nobody of
        # side A (administrators see it), team A's agent for their leads.
        a, b = w.agent_a.employee_no, w.agent_b.employee_no
        must = {data.ADM: (a, b), data.MGR: (a,), data.SUP: (a,), data.AGT: (a,)}
        never = () if cell.principal == data.ADM else (b,)
        return (
            method,
            reverse(name) + period + fmt,
            None,
            must.get(cell.principal, ()),
            never,
        )
    if name == "kpi:audit-report":
        audit = w.audit_b if rest == "out" else w.audit_a
        fmt = "?format=xlsx" if rest == "xlsx" else ""
        return method, reverse(name, args=[audit.pk]) + fmt, None, *nothing
    if name == "kpi:report":
        scope = f"&scope=department:{w.dept_b.pk}" if out else ""
        return method, reverse(name) + period + scope, None, *nothing
    if name == "complaints:capa-evidence-download":
        evidence = w.evidence_b if out else w.evidence_a
        return method, reverse(name, args=[evidence.pk]), None, *nothing
    if name == "complaints:attachment-download":
        attachment = w.attachment_b if out else w.attachment_a
        return method, reverse(name, args=[attachment.pk]), None, *nothing
    if name == "public:survey":
        from complaints.services.surveys import survey_token

        return method, reverse(name, args=[survey_token(w.resolved_a)]), {}, *nothing
    if name == "public:track":
        return method, reverse(name), {}, *nothing
    if name == "home-assign":
        complaint = w.comp_b if out else w.comp_a
        body = {"assignee": w.agent_a.pk}
        return method, reverse(name, args=[complaint.pk]), body, *nothing
    if name == "set_language":
        body = {"language": "en", "next": "/kpi/"}
        return method, reverse(name), body, *nothing
    return method, reverse(name), None, *nothing


@pytest.mark.parametrize("cell", _cells("PAGES"), ids=lambda c: c.id)
def test_pages(world, cell: Cell):
    w = world
    method, url, body, must, never = page_request(w, cell)
    client = client_for(w, cell.principal)
    response = client.post(url, body) if method == "POST" else client.get(url)
    label = f"{method} {url} as {cell.principal}"
    assert_answer(response, cell.expected, label)
    if response.status_code != 200 or not (must or never):
        return
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    text = _xlsx_text(content) if "xlsx" in cell.kind else content.decode()
    for shown in must:
        assert shown in text, f"{label}: {shown} missing"
    for hidden in never:
        assert hidden not in text, f"{label}: shows {hidden}, out of reach"


def _xlsx_text(content: bytes) -> str:
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(
        " ".join(str(value) for value in row if value is not None)
        for row in sheet.iter_rows(values_only=True)
    )


# --- the API ---------------------------------------------------------------------------------

API_BODY = {
    # One body for every transition (each input serializer takes its fields).
    "transition": {
        "reason": "矩阵测试",
        "note": "矩阵测试",
        "body": "您好，已收到您的投诉。",
        "cause_hypothesis": "派送员未按约定时间派送",
        "root_cause": "派送员未经培训上岗",
        "resolution_type": "apology",
        "severity": "high",
        "assignee": "mx_agent_a",
    },
    "customers/": {"name": "矩阵新客户", "phone": "+8613900009999"},
    "complaints/": {
        "customer": {"name": "矩阵新客户", "phone": "+8613900009998"},
        "channel": "phone",
        "category": "service_quality",
        "subject": "快件延误",
        "description": "客户反映快件延误。",
    },
    "complaints/{reference}/feedback/": {"csat": 4, "nps": 8, "comment": "满意"},
    "complaints/{reference}/note/": {"body": "内部备注"},
    "capas/{pk}/complete/": {"note": "矩阵测试"},
    "capas/{pk}/verify/": {"effective": True, "note": "矩阵测试"},
    "capas/{pk}/cancel/": {"note": "矩阵测试"},
    "webhooks/": {
        "url": "https://hooks.matrix.example.cn/kefu",
        "events": ["complaint.created"],
    },
    "webhooks/{pk}/": {"description": "矩阵测试", "is_active": False},
    "service-orders/": {"kind": "installation", "product_name": "净水器 W5"},
}
WEBHOOK_HOST = "hooks.matrix.example.cn"


def api_object(w, placeholder: str, principal: str, out: bool, path: str):
    key = principal == data.KEY
    if placeholder == "reference" and path.startswith("service-orders/"):
        if key:
            return w.pso_b if out else w.pso_a
        if principal == data.TEC:  # their own visit's order
            return w.so_b if out else w.so_visit_a
        return w.so_b if out else w.so_a
    if placeholder == "reference":
        if path.endswith("/feedback/") and not key:
            return w.resolved_b if out else w.resolved_a  # resolved: a survey is due
        if key:
            return w.pcomp_b if out else w.pcomp_a
        return w.comp_b if out else w.comp_a
    if placeholder == "code":
        if key:
            return w.pcust_b if out else w.pcust_a
        return w.cust_b if out else w.cust_a
    if placeholder == "pk" and path.startswith("capas/"):
        return w.capa_b if out else w.capa_a
    if placeholder == "pk":
        return w.endpoint_b if out else w.endpoint_a
    raise LookupError(placeholder)


def api_state(obj):
    """What an API write may change: row counts and the object's own row."""
    from django.apps import apps

    counts = tuple(
        apps.get_model(label)._default_manager.count()
        for label in (
            "crm.Customer",
            "complaints.Complaint",
            "complaints.ComplaintEvent",
            "complaints.ComplaintNote",
            "partners.WebhookEndpoint",
            "aftersales.ServiceOrder",
            "aftersales.Appointment",
        )
    )
    answered = (
        apps.get_model("complaints.SatisfactionSurvey")
        ._default_manager.filter(answered_at__isnull=False)
        .count()
    )
    return counts, answered, snapshot(obj) if obj is not None else None


# What a list shows (ids) and which rows must never appear in it for a principal
# of side A: rows of side B, of the other partner, and (for the key) in-house.
LIST_IDS = {
    "customers/": lambda rows: {r["code"] for r in rows},
    "complaints/": lambda rows: {r["reference"] for r in rows},
    "capas/": lambda rows: {r["id"] for r in rows},
    "revisits/": lambda rows: {r["id"] for r in rows},
    "training/records/": lambda rows: {r["employee_no"] for r in rows},
    "kpi/results/": lambda rows: {r["staff_id"] for r in rows},
    "webhooks/": lambda rows: {r["id"] for r in rows},
    "service-orders/": lambda rows: {r["reference"] for r in rows},
    "slots/": lambda rows: {r["id"] for r in rows},
}


def list_never(w, path: str, principal: str) -> set:
    if principal == data.ADM:
        return set()  # administrators see everything
    key = principal == data.KEY
    never = {
        "customers/": {w.cust_b.code, w.pcust_b.code}
        | ({w.cust_a.code} if key else {w.pcust_a.code}),
        "complaints/": {w.comp_b.reference, w.pcomp_b.reference}
        | ({w.comp_a.reference} if key else {w.pcomp_a.reference}),
        "capas/": {w.capa_b.pk},
        "revisits/": {w.rev_b.pk} | ({w.rev_a.pk} if key else set()),
        # trainers read every training record
        "training/records/": set()
        if principal == data.TRN
        else {w.agent_b.employee_no} | ({w.agent_a.employee_no} if key else set()),
        "kpi/results/": {w.agent_b.pk} | ({w.agent_a.pk} if key else set()),
        "webhooks/": {w.endpoint_b.pk},
        "service-orders/": {w.so_b.reference, w.pso_b.reference}
        | ({w.so_a.reference} if key else {w.pso_a.reference})
        # a technician: only the orders of their own visits
        | ({w.so_a.reference} if principal == data.TEC else set()),
        "slots/": set(),  # every free slot is offered to every booking desk
    }
    return never[path]


def api_request(w, cell: Cell):
    """(method, url, body, object) of an API cell; ``subject`` is the path under
    /api/v1/ with placeholders, ``kind`` the method and "in"/"out"."""
    method, _sep, scope = cell.kind.partition(" ")
    path = cell.subject
    obj = None
    url_path = path
    for placeholder in ("reference", "code", "pk"):
        token = "{" + placeholder + "}"
        if token in path:
            obj = api_object(w, placeholder, cell.principal, scope == "out", path)
            value = getattr(obj, placeholder) if placeholder != "pk" else obj.pk
            url_path = path.replace(token, str(value))
    body = None
    if method in ("POST", "PATCH", "PUT"):
        transition = path.startswith("complaints/{reference}/") and path not in (
            "complaints/{reference}/",
            "complaints/{reference}/events/",
            "complaints/{reference}/feedback/",
            "complaints/{reference}/note/",
        )
        body = API_BODY["transition"] if transition else API_BODY.get(path, {})
        if path == "service-orders/":
            customer = w.pcust_a if cell.principal == data.KEY else w.cust_a
            body = {**API_BODY[path], "customer": customer.code}
        if path == "service-orders/{reference}/book/":
            body = {"slot": w.slot_a.pk}
    return method, f"/api/v1/{url_path}", body, obj


@pytest.mark.parametrize("cell", _cells("API"), ids=lambda c: c.id)
def test_api(world, cell: Cell, fake_dns):
    import json

    from tests.conftest import PUBLIC_TEST_ADDRESS

    w = world
    fake_dns.add(WEBHOOK_HOST, PUBLIC_TEST_ADDRESS)
    fake_dns.add("hooks.suda.example.cn", PUBLIC_TEST_ADDRESS)
    method, url, body, obj = api_request(w, cell)
    client = client_for(w, cell.principal)
    before = api_state(obj)
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = client.generic(method, url, **kwargs)
    label = f"{method} {url} as {cell.principal}"
    assert_answer(response, cell.expected, label)
    if method in ("POST", "PATCH", "PUT", "DELETE"):
        after = api_state(obj)
        if refused(cell.expected):
            assert after == before, f"{label}: refused, yet something changed"
        else:
            assert after != before, (
                f"{label}: answered {cell.expected}, changed nothing"
            )
    if refused(cell.expected):
        if obj is not None:
            assert_shows_nothing(response, obj, label)
        if response.status_code >= 400:
            assert "code" in response.json(), f"{label}: not the JSON error shape"
    elif method == "GET" and cell.subject in LIST_IDS:
        shown = LIST_IDS[cell.subject](response.json()["results"])
        leaked = shown & list_never(w, cell.subject, cell.principal)
        assert not leaked, f"{label}: lists rows out of reach: {leaked}"


# --- completeness: every URL of the project has its rows ------------------------------------


def _walk(patterns, prefix="", namespace=""):
    """(route, namespaced name, pattern) of every URL pattern."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield route, name, pattern


def _api_template(route: str) -> str:
    """``api/v1/^complaints/(?P<reference>[^/.]+)/$`` → ``complaints/{reference}/``."""
    import re

    path = route.removeprefix("api/v1/").replace("^", "").replace("$", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)


def api_operations():
    """{(path template, method)} of every API operation (OPTIONS/HEAD aside)."""
    operations = set()
    for route, _name, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        callback = pattern.callback
        if hasattr(callback, "actions"):  # a viewset route
            methods = {m.upper() for m in callback.actions}
        else:
            view = callback.cls
            methods = {m.upper() for m in view.http_method_names if hasattr(view, m)}
        for method in methods - {"HEAD", "OPTIONS"}:  # as GET / DRF's metadata
            operations.add((_api_template(route), method))
    return operations


def admin_rows_wanted():
    """{(model label, kind)} the ADMIN table needs, and the custom admin views."""
    wanted, views = set(), set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        assert label in data.ADMIN_OBJECTS, f"{label}: no objects in ADMIN_OBJECTS"
        outside = data.ADMIN_OBJECTS[label][1] is not None
        for kind in ("changelist", "add", "change", "history", "delete", "save"):
            wanted.add((label, kind))
            if outside and kind not in ("changelist", "add"):
                wanted.add((label, f"{kind} out"))
        info = f"{model._meta.app_label}_{model._meta.model_name}_"
        standard = {info + kind for kind in ADMIN_KINDS}
        for pattern in model_admin.get_urls():
            if pattern.name is None:
                # Django's own "<id>/" → "<id>/change/" redirect (the change row)
                assert str(pattern.pattern) == "<path:object_id>/", pattern
            elif pattern.name not in standard:
                views.add(pattern.name)
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern):
            views.add(pattern.name or "final_catch_all")
    return wanted, views


def test_every_url_has_a_row():
    """A new admin, admin view, page or API operation without a row fails here."""
    wanted, views = admin_rows_wanted()
    missing = sorted(wanted - set(data.ADMIN))
    assert not missing, f"admin pages without a row in ADMIN: {missing}"
    assert not set(data.ADMIN) - wanted, "rows for admin pages that do not exist"
    subjects = {s for s, kind in data.ADMIN_VIEWS if kind == "GET" or s == "app_list"}
    assert not views - subjects, f"admin views without a GET row: {views - subjects}"
    app_rows = {kind for subject, kind in data.ADMIN_VIEWS if subject == "app_list"}
    apps_registered = {m._meta.app_label for m in admin.site._registry}
    assert app_rows == {f"GET {app}" for app in apps_registered}

    operations = api_operations()
    rows = {(subject, kind.split()[0]) for subject, kind in data.API}
    missing = sorted(operations - rows)
    assert not missing, f"API operations without a row in API: {missing}"
    for path, method in operations:
        if "{" in path:  # one object: inside and outside the caller's reach
            for scope in ("in", "out"):
                assert (path, f"{method} {scope}") in data.API, (path, method, scope)

    pages = {subject for subject, _kind in data.PAGES}
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "api/v1/")):
            continue
        assert name in pages, f"{route} ({name}): no row in PAGES"


# --- writes through the admin -------------------------------------------------------------


def form_data(response) -> dict:
    """The POST data of an admin form as the page shows it (inlines included)."""
    from django import forms

    data_ = {}

    def add(form):
        for field in form:
            value = field.value()
            widget = field.field.widget
            name = field.html_name
            if isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                for suffix, sub, part in zip(
                    widget.widgets_names, widget.widgets, parts, strict=False
                ):
                    data_[name + suffix] = (
                        "" if part is None else sub.format_value(part)
                    )
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data_[name] = "on"
            elif isinstance(value, list | tuple):
                data_[name] = [str(v) for v in value]
            elif value is None:
                data_[name] = ""
            else:
                formatted = widget.format_value(value)
                data_[name] = "" if formatted is None else formatted

    context = response.context
    admin_form = context.get("adminform") or context.get("adminForm")
    add(admin_form.form)
    for inline in response.context.get("inline_admin_formsets") or []:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data_


def _apply(w, body: dict, change: dict) -> dict:
    from django.apps import apps
    from django.utils import timezone

    for key, value in change.items():
        if isinstance(value, data.Ref):
            value = str(w.get(value.name).pk)
        if key == "CHECKLIST":
            for item in apps.get_model("kpi.QualityInspection").CHECKLIST:
                body[item] = value
        elif isinstance(value, data.At):
            local = timezone.localtime() + timezone.timedelta(hours=value.hours)
            body[f"{key}_0"] = local.date().isoformat()
            body[f"{key}_1"] = local.strftime("%H:%M:%S")
        else:
            body[key] = value
    return body


def _page_url(w, write: data.Write):
    if write.obj is None:
        return reverse(f"admin:{write.page}")
    obj = w.get(write.obj)
    return reverse(f"admin:{write.page}", args=[obj.pk])


def _page_model(write: data.Write):
    from django.apps import apps

    if write.page == "auth_user_password_change":
        return apps.get_model("crm.User")
    app_label, model_name = write.page.split("_")[:2]
    return apps.get_model(app_label, model_name)


@pytest.mark.parametrize("write", data.WRITES, ids=lambda w: w.id)
def test_admin_write(world, write: data.Write):
    w = world
    url = _page_url(w, write)
    shown = client_for(w, write.form_of or write.principal).get(url)
    assert shown.status_code == 200, f"the form of {url}: {shown.status_code}"
    body = _apply(w, form_data(shown), write.change)
    model = _page_model(write)
    obj = w.get(write.obj) if write.obj else None
    before_count = model._default_manager.count()
    before = snapshot(obj) if obj is not None else None

    response = client_for(w, write.principal).post(url, body)

    label = f"POST {url} as {write.principal}"
    assert response.status_code < 500, label
    if write.outcome == "saved":
        assert response.status_code == 302, (
            label,
            response.context and response.context["adminform"].form.errors,
        )
        if obj is None:
            assert model._default_manager.count() == before_count + 1, label
        else:
            after = snapshot(obj)
            assert after != before, f"{label}: nothing saved"
            for key, value in write.change.items():
                if key in after and isinstance(value, str):
                    assert str(after[key]) == value, (label, key, after[key])
        return
    # refused: nothing is saved, whatever the answer
    if write.outcome.startswith("refused"):
        field = write.outcome.split()[1]
        assert response.status_code == 200, label
        context = response.context
        errors = (context.get("adminform") or context.get("adminForm")).form.errors
        assert field in errors, (label, errors)
        assert "选择一个有效的选项" in " ".join(errors[field]), (label, errors)
    else:
        assert response.status_code == int(write.outcome), label
        if write.outcome == "302":
            levels = {m.level_tag for m in get_messages(response.wsgi_request)}
            assert "error" in levels or "warning" in levels, (label, levels)
    assert model._default_manager.count() == before_count, f"{label}: a row added"
    if obj is not None:
        assert snapshot(obj) == before, f"{label}: the row changed"


# --- the superuser, where it differs from the administrator role ----------------------------


@pytest.mark.parametrize(
    ("page", "row"), sorted(data.SUPERUSER, key=str), ids=lambda v: str(v)
)
def test_superuser_and_administrator(world, page, row):
    w = world
    superuser, administrator = data.SUPERUSER[(page, row)]
    if row is None:
        url = reverse(f"admin:{page}")
    else:
        obj = w.get(row)
        url = reverse(
            f"admin:{page}",
            args=[
                admin_pk(
                    "authtoken.tokenproxy" if page.startswith("authtoken") else "", obj
                )
            ],
        )
    root = Client()
    root.force_login(w.superuser)
    assert_answer(root.get(url), superuser, f"GET {url} as the superuser")
    assert_answer(client_for(w, data.ADM).get(url), administrator, f"GET {url} as ADM")


# --- staff token authentication on the API --------------------------------------------------


def test_staff_token_auth(world):
    """Staff use ``Authorization: Token`` on the same endpoints with the same
    reach as their session: a manager reads and writes in their department, a
    token of department B does not see department A, a wrong token is 401."""
    import json

    from django.apps import apps

    w = world
    manager = Client(HTTP_AUTHORIZATION=f"Token {w.token_manager.key}")
    listed = manager.get("/api/v1/customers/")
    assert listed.status_code == 200
    codes = {row["code"] for row in listed.json()["results"]}
    assert w.cust_a.code in codes and w.cust_b.code not in codes
    customers = apps.get_model("crm.Customer")._default_manager
    before = customers.count()
    created = manager.post(
        "/api/v1/customers/",
        json.dumps({"name": "令牌客户", "phone": "+8613900008888"}),
        content_type="application/json",
    )
    assert created.status_code == 201 and customers.count() == before + 1
    assert created.json()["code"] in {
        row["code"] for row in manager.get("/api/v1/customers/").json()["results"]
    }
    version = w.comp_a.version
    assigned = manager.post(
        f"/api/v1/complaints/{w.comp_a.reference}/assign/",
        json.dumps({"assignee": w.agent_a.username}),
        content_type="application/json",
    )
    assert assigned.status_code == 200
    complaint = type(w.comp_a)._default_manager.get(pk=w.comp_a.pk)
    assert complaint.assignee == w.agent_a and complaint.version > version

    other = Client(HTTP_AUTHORIZATION=f"Token {w.token_b.key}")
    assert other.get(f"/api/v1/complaints/{w.comp_a.reference}/").status_code == 404
    refused = other.post(
        f"/api/v1/complaints/{w.comp_a.reference}/hold/",
        json.dumps({"reason": "等待"}),
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert type(w.comp_a)._default_manager.get(pk=w.comp_a.pk).version == (
        complaint.version
    )
    wrong = Client(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.get("/api/v1/customers/").status_code == 401
    root = Client(HTTP_AUTHORIZATION=f"Token {w.token_root.key}")
    assert root.get(f"/api/v1/complaints/{w.comp_b.reference}/").status_code == 200


def test_a_partner_never_reaches_in_house_rows(world):
    """The KEY column's ``out`` rows are partner B's; in-house rows (registered
    by staff) are as far out of a partner's reach: 404, nothing changes."""
    import json

    w = world
    key = client_for(w, data.KEY)
    for url in (
        f"/api/v1/complaints/{w.comp_a.reference}/",
        f"/api/v1/complaints/{w.comp_a.reference}/events/",
        f"/api/v1/customers/{w.cust_a.code}/",
    ):
        response = key.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    before = snapshot(w.survey_a)
    response = key.post(
        f"/api/v1/complaints/{w.resolved_a.reference}/feedback/",
        json.dumps({"csat": 1}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert snapshot(w.survey_a) == before
