"""Messages to the customer (issue 13, outbound): the outbox, its triggers, the
channel choice, quiet hours, delivery under the lease and the backends."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import channels as cm_channels
from complaints import services as s
from complaints.models import (
    Complaint,
    ComplaintEvent,
    CustomerMessage,
    MessageTemplate,
)
from complaints.services import customer_messages as cm
from complaints.services import message_delivery as md
from config.outbox import outbox_claim
from crm.services.privacy import ERASED_TEXT, customer_erase
from tests.factories.complaints import make_complaint, walk
from tests.factories.crm import CustomerExternalIdFactory, CustomerFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EK = ComplaintEvent.Kind
MS = CustomerMessage.Status


@pytest.fixture(autouse=True)
def _file_backend(settings, tmp_path):
    settings.KEFU_MESSAGE_BACKEND = "file"
    settings.KEFU_MESSAGE_FILE_DIR = str(tmp_path / "messages")
    return tmp_path / "messages"


def _files(settings):
    from pathlib import Path

    folder = Path(settings.KEFU_MESSAGE_FILE_DIR)
    return sorted(folder.glob("*.json")) if folder.exists() else []


def _daytime():
    return time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=SH), tick=True)


def _messages(complaint):
    return list(
        CustomerMessage.objects.filter(complaint=complaint)
        .order_by("pk")
        .values_list("kind", "trigger_key", "channel")
    )


# --- triggers -----------------------------------------------------------------


def test_each_trigger_queues_exactly_one_message(org):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        walk(complaint, "resolved", actor=org.supervisor_a)
        complaint.refresh_from_db()
        rows = _messages(complaint)
        reply = complaint.replies.get()
        assert rows == [
            ("acknowledgement", "ack", "sms"),
            ("handling", "handling:1", "sms"),
            ("reply", f"reply:{reply.pk}", "sms"),
            ("resolved", "resolved:1", "sms"),
        ]
        # the same triggers again queue nothing new
        cm.queue_acknowledgement(complaint=complaint)
        cm.queue_reply(complaint=complaint, reply=reply)
        cm.queue_resolved(complaint=complaint)
        assert _messages(complaint) == rows
        reply_row = CustomerMessage.objects.get(complaint=complaint, kind="reply")
        assert reply_row.reply == reply
        assert reply.body in reply_row.body
        assert reply_row.address == complaint.customer.phone.removeprefix("+86")


def test_hold_notice_carries_the_reason(org):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        s.complaint_hold(
            actor=org.supervisor_a, complaint=complaint, reason="等待客户提供单号"
        )
        row = CustomerMessage.objects.get(complaint=complaint, kind="on_hold")
        assert "等待客户提供单号" in row.body
        assert CustomerMessage.objects.filter(complaint=complaint).count() == 2


def test_acknowledgement_says_reference_next_steps_due_and_link(org):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
    row = CustomerMessage.objects.get(complaint=complaint, kind="acknowledgement")
    target = complaint.sla_targets.get(kind="reply", met_at__isnull=True)
    assert complaint.reference in row.body
    assert "核实情况" in row.body
    assert f"{target.due_at.astimezone(SH):%Y-%m-%d %H:%M}" in row.body
    assert f"/track/?reference={complaint.reference}" in row.body
    assert row.not_before is None  # daytime


def test_resolved_notice_has_the_survey_link(org):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        walk(complaint, "resolved", actor=org.supervisor_a)
    row = CustomerMessage.objects.get(complaint=complaint, kind="resolved")
    assert "/survey/" in row.body


def test_no_usable_address_no_message_and_the_complaint_says_why(org):
    customer = CustomerFactory(department=org.dept_a, phone="")
    with _daytime():
        complaint = make_complaint(actor=org.agent_a, customer=customer)
    assert not CustomerMessage.objects.filter(complaint=complaint).exists()
    event = complaint.events.get(kind=EK.MESSAGE_NOT_SENT)
    assert event.data["kind"] == "acknowledgement"
    assert event.note


def test_channel_choice_preferred_with_consent_else_the_complaints_channel(org):
    consenting = CustomerFactory(
        department=org.dept_a,
        email="kehu@example.cn",
        preferred_channel="email",
        consent_to_contact=True,
    )
    silent = CustomerFactory(
        department=org.dept_a, email="kehu2@example.cn", preferred_channel="email"
    )
    wechat = CustomerFactory(department=org.dept_a, phone="")
    CustomerExternalIdFactory(
        customer=wechat, partner=None, external_id="wechat:oABC123"
    )
    with _daytime():
        a = make_complaint(actor=org.agent_a, customer=consenting)
        b = make_complaint(actor=org.agent_a, customer=silent)
        c = make_complaint(actor=org.agent_a, customer=wechat, channel="social")
        d = make_complaint(actor=org.agent_a, customer=silent, channel="email")
    assert CustomerMessage.objects.get(complaint=a).channel == "email"
    assert CustomerMessage.objects.get(complaint=b).channel == "sms"
    row = CustomerMessage.objects.get(complaint=c)
    assert (row.channel, row.address) == ("wechat", "oABC123")
    assert CustomerMessage.objects.get(complaint=d).channel == "email"


def test_admin_template_replaces_the_default(org):
    MessageTemplate.objects.create(
        kind="acknowledgement",
        channel="sms",
        language="zh-hans",
        body="【快递客服】{reference} 已受理，{reply_due} 前答复",
    )
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
    row = CustomerMessage.objects.get(complaint=complaint)
    assert row.body.startswith(f"【快递客服】{complaint.reference} 已受理，")


def test_english_templates(org, settings):
    settings.KEFU_MESSAGE_LANGUAGE = "en"
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
    row = CustomerMessage.objects.get(complaint=complaint)
    assert row.language == "en"
    assert row.body.startswith("Hello, thank you for your feedback.")


# --- delivery -----------------------------------------------------------------


def test_delivery_sends_once_and_writes_the_timeline(org, settings):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        assert cm.customer_messages_deliver() == 1
        assert cm.customer_messages_deliver() == 0
    row = CustomerMessage.objects.get(complaint=complaint)
    assert (row.status, row.attempts) == (MS.SENT, 1)
    assert row.provider_id and row.sent_at and row.lease_token is None
    files = _files(settings)
    assert len(files) == 1
    sent = json.loads(files[0].read_text(encoding="utf-8"))
    assert sent["address"] == row.address and complaint.reference in sent["body"]
    event = complaint.events.get(kind=EK.MESSAGE_SENT)
    assert event.data["message_id"] == row.pk


def test_email_goes_through_django_mail_with_the_threading_message_id(org):
    customer = CustomerFactory(department=org.dept_a, phone="", email="kehu@example.cn")
    with _daytime():
        complaint = make_complaint(
            actor=org.agent_a, customer=customer, channel="email"
        )
        cm.customer_messages_deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kehu@example.cn"]
    assert complaint.reference in message.subject
    row = CustomerMessage.objects.get(complaint=complaint)
    assert message.extra_headers["Message-ID"].startswith(
        f"<kefu.{complaint.reference}.m{row.pk}@"
    )


def test_two_workers_one_send(org, settings):
    """Worker 1 holds the row's lease; worker 2's run finds nothing to send;
    worker 1 sends it once."""
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        from django.utils import timezone

        lease = outbox_claim(md._due(timezone.now()), now=timezone.now(), seconds=60)[0]
        assert cm.customer_messages_deliver() == 0  # worker 2
        assert md._deliver_one(lease) == 1  # worker 1
        assert md._deliver_one(lease) == 0  # a replay of the same lease
        assert cm.customer_messages_deliver() == 0
    assert len(_files(settings)) == 1
    assert CustomerMessage.objects.get(complaint=complaint).attempts == 1


# serialized_rollback like the other race tests: pytest-django runs the
# transactional tests last, and a plain flush after (or before) a serialized one
# would leave the role groups out (or load the content types twice)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_send_each_message_once(org, settings):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SKIP LOCKED)")
    results = []

    def worker():
        try:
            results.append(cm.customer_messages_deliver())
        finally:
            connection.close()

    # In the daytime: SMS queued in quiet hours (21:00-08:00) would wait.
    with _daytime():
        for _ in range(6):
            make_complaint(actor=org.agent_a)
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(results) == CustomerMessage.objects.count()
    assert len(_files(settings)) == CustomerMessage.objects.count()
    assert set(CustomerMessage.objects.values_list("attempts", flat=True)) == {1}


def test_a_failed_send_is_retried_then_failed(org, settings):
    settings.KEFU_MESSAGE_BACKEND = "http"
    settings.KEFU_SMS_URL = ""  # nowhere to send: every attempt fails
    settings.KEFU_MESSAGE_MAX_ATTEMPTS = 2
    with _daytime() as traveller:
        complaint = make_complaint(actor=org.agent_a)
        assert cm.customer_messages_deliver() == 0
        row = CustomerMessage.objects.get(complaint=complaint)
        assert (row.status, row.attempts) == (MS.PENDING, 1)
        assert "no URL" in row.last_error and row.not_before
        traveller.shift(3600)
        cm.customer_messages_deliver()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MS.FAILED, 2)
    assert complaint.events.filter(kind=EK.MESSAGE_FAILED).count() == 1


class _Recording:
    """A backend that records what it is asked to send; ``fail`` refuses all."""

    def __init__(self, *, fail=False, on_send=None):
        self.sent: list[str] = []
        self.fail = fail
        self.on_send = on_send

    def send(self, message):
        self.sent.append(message.message_id)
        if self.on_send:
            self.on_send(len(self.sent))
        if self.fail:
            raise cm_channels.ChannelError("refused")
        return f"p-{message.message_id}"


def _visit_reminders(n, *, start=0, customer=None):
    customer = customer or CustomerFactory(phone="13800001111")
    return [
        cm.customer_message_queue(
            customer=customer,
            reference=f"SH2026120200{i:02d}",
            kind="visit_reminder",
            trigger_key=f"visit:{i}",
        )[0]
        for i in range(start, start + n)
    ]


def _claims(queries):
    """The claim SELECTs of a run (they read only the ids), digits masked so
    that two claims compare by shape."""
    table = CustomerMessage._meta.db_table
    head = re.compile(rf'SELECT "{table}"\."id"( AS "pk")? FROM "{table}"')
    return [re.sub(r"\d+", "N", q["sql"]) for q in queries if head.match(q["sql"])]


def test_each_claim_of_a_run_is_the_same_bounded_query(org):
    """The claim does not carry the rows the run already tried (a NOT IN list
    growing with every message): the first and the last claim of a run of 30
    messages are the same query."""
    # Given 30 due messages
    with _daytime():
        _visit_reminders(30)
        backend = _Recording()
        # When one run sends them all
        with CaptureQueriesContext(connection) as ctx:
            assert md.customer_messages_deliver(backend=backend) == 30
    # Then each was sent once, and every claim (31: the last finds nothing)
    # has one shape, no longer at the end than at the start
    assert len(backend.sent) == len(set(backend.sent)) == 30
    claims = _claims(ctx.captured_queries)
    assert len(claims) == 31
    assert len(claims[0]) == len(claims[-1])
    assert set(claims) == {claims[0]}


def test_a_message_due_again_during_the_run_is_not_tried_twice(org, settings):
    """A failed send is rescheduled a few minutes on; a run whose ``now`` is
    later than that finds it due again, and still attempts it once only: the
    next run takes it."""
    settings.KEFU_MESSAGE_MAX_ATTEMPTS = 5
    with _daytime():
        rows = _visit_reminders(3)
        later = timezone.now() + timedelta(days=1)
        backend = _Recording(fail=True)
        # When a run at `later` fails to send each of them
        assert md.customer_messages_deliver(now=later, backend=backend) == 0
        # Then each was attempted once, and is due again at `later`
        assert len(backend.sent) == 3 and len(set(backend.sent)) == 3
        assert md._due(later).filter(pk__in=[r.pk for r in rows]).count() == 3
        assert set(CustomerMessage.objects.values_list("status", "attempts")) == {
            (MS.PENDING, 1)
        }
        # and the next run attempts each once more
        assert md.customer_messages_deliver(now=later, backend=backend) == 0
    assert len(backend.sent) == 6
    assert set(CustomerMessage.objects.values_list("attempts", flat=True)) == {2}


def test_a_message_queued_during_the_run_is_sent_by_that_run(org):
    """The cursor walks on in pk order: a message queued while the run sends
    (a later pk) is not skipped."""
    with _daytime():
        first = _visit_reminders(2)
        queued = []

        def queue_one(count):
            if count == 1:
                queued.extend(_visit_reminders(1, start=2, customer=first[0].customer))

        backend = _Recording(on_send=queue_one)
        assert md.customer_messages_deliver(backend=backend) == 3
    assert len(backend.sent) == 3
    assert CustomerMessage.objects.get(pk=queued[0].pk).status == MS.SENT


# --- quiet hours --------------------------------------------------------------


def test_quiet_hours_hold_an_sms_until_eight_and_release_it_once(org, settings):
    with time_machine.travel(datetime(2026, 12, 2, 22, 30, tzinfo=SH), tick=False):
        complaint = make_complaint(actor=org.agent_a)
    row = CustomerMessage.objects.get(complaint=complaint)
    assert row.not_before == datetime(2026, 12, 3, 8, 0, tzinfo=SH)
    assert (
        cm.customer_messages_deliver(now=datetime(2026, 12, 3, 7, 59, tzinfo=SH)) == 0
    )
    assert _files(settings) == []
    assert cm.customer_messages_deliver(now=datetime(2026, 12, 3, 8, 0, tzinfo=SH)) == 1
    assert cm.customer_messages_deliver(now=datetime(2026, 12, 3, 8, 5, tzinfo=SH)) == 0
    assert len(_files(settings)) == 1


def test_quiet_hours_after_midnight_release_the_same_morning():
    at = datetime(2026, 12, 3, 2, 0, tzinfo=SH)
    assert cm.release_time("sms", "normal", at) == datetime(
        2026, 12, 3, 8, 0, tzinfo=SH
    )
    assert cm.release_time("wechat", "normal", at) == datetime(
        2026, 12, 3, 8, 0, tzinfo=SH
    )
    assert cm.release_time("sms", "urgent", at) is None
    assert cm.release_time("email", "normal", at) is None
    assert (
        cm.release_time("sms", "normal", datetime(2026, 12, 3, 8, 0, tzinfo=SH)) is None
    )
    assert (
        cm.release_time("sms", "normal", datetime(2026, 12, 3, 20, 59, tzinfo=SH))
        is None
    )


def test_urgent_complaints_get_their_sms_at_night(org):
    with time_machine.travel(datetime(2026, 12, 2, 23, 0, tzinfo=SH), tick=False):
        complaint = make_complaint(actor=org.agent_a, severity="urgent")
    assert CustomerMessage.objects.get(complaint=complaint).not_before is None


# --- the http backend against a fake server ----------------------------------


class _FakeGateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            (
                self.path,
                self.headers["Idempotency-Key"],
                json.loads(self.rfile.read(length)),
            )
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": "sms-778899"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _FakeGateway.received = []
    _FakeGateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_backend_posts_to_the_provider(org, settings, gateway):
    port = gateway.server_address[1]
    settings.KEFU_MESSAGE_BACKEND = "http"
    settings.KEFU_SMS_URL = f"http://127.0.0.1:{port}/sms"
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        assert cm.customer_messages_deliver() == 1
    row = CustomerMessage.objects.get(complaint=complaint)
    assert (row.status, row.provider_id) == (MS.SENT, "sms-778899")
    [(path, key, payload)] = _FakeGateway.received
    assert path == "/sms"
    assert key == f"kefu-{complaint.reference}-m{row.pk}"
    assert payload["to"] == row.address and complaint.reference in payload["text"]


def test_http_backend_error_keeps_the_message_pending(org, settings, gateway):
    _FakeGateway.status = 503
    settings.KEFU_MESSAGE_BACKEND = "http"
    settings.KEFU_SMS_URL = f"http://127.0.0.1:{gateway.server_address[1]}/sms"
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        assert cm.customer_messages_deliver() == 0
    row = CustomerMessage.objects.get(complaint=complaint)
    assert (row.status, row.attempts, row.last_error) == (
        MS.PENDING,
        1,
        "ChannelError: HTTP 503",
    )


# --- PIPL -----------------------------------------------------------------------


def test_erasure_masks_the_outbox(org):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
    customer = complaint.customer
    customer_erase(actor=org.admin, customer=customer)
    row = CustomerMessage.objects.get(complaint=complaint)
    assert (row.address, row.subject, row.body) == ("", ERASED_TEXT, ERASED_TEXT)
    assert (row.status, row.last_error) == (MS.FAILED, "customer erased")
    assert Complaint.objects.filter(pk=complaint.pk).exists()


# --- admin --------------------------------------------------------------------


def test_reply_shows_its_delivery_on_the_complaint_page(org, client):
    with _daytime():
        complaint = make_complaint(actor=org.agent_a)
        walk(complaint, "replied", actor=org.supervisor_a)
        md.customer_messages_deliver()
    client.force_login(org.supervisor_a)
    html = client.get(
        f"/admin/complaints/complaint/{complaint.pk}/change/"
    ).content.decode()
    assert "短信 · 已发送" in html
    # and the timeline carries the sent messages
    assert complaint.events.filter(kind=EK.MESSAGE_SENT).count() == 3


def test_template_admin_refuses_an_unknown_variable(org, client):
    client.force_login(org.admin)
    url = "/admin/complaints/messagetemplate/add/"
    data = {
        "kind": "reply",
        "channel": "sms",
        "language": "zh-hans",
        "subject": "",
        "body": "您好 {customer_name}",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert not MessageTemplate.objects.exists()
    data["body"] = "您好，{reference}：{reply}"
    assert client.post(url, data).status_code == 302
    assert MessageTemplate.objects.get().body == "您好，{reference}：{reply}"


def test_the_customers_preferred_language_chooses_the_template(org, settings):
    settings.KEFU_MESSAGE_LANGUAGE = "zh-hans"
    english = CustomerFactory(department=org.dept_a, preferred_language="en")
    chinese = CustomerFactory(department=org.dept_a, preferred_language="")
    MessageTemplate.objects.create(
        kind="acknowledgement",
        channel="sms",
        language="en",
        body="Ref {reference}: received.",
    )
    with _daytime():
        a = make_complaint(actor=org.agent_a, customer=english)
        b = make_complaint(actor=org.agent_a, customer=chinese)
    first = CustomerMessage.objects.get(complaint=a)
    assert (first.language, first.body) == ("en", f"Ref {a.reference}: received.")
    second = CustomerMessage.objects.get(complaint=b)
    assert second.language == "zh-hans" and second.body.startswith("您好，感谢您的反馈")
    # the setting is the default of customers who chose none
    settings.KEFU_MESSAGE_LANGUAGE = "en"
    with _daytime():
        c = make_complaint(actor=org.agent_a, customer=chinese)
    assert CustomerMessage.objects.get(complaint=c).language == "en"


# --- messages about no complaint (issue 17) ---------------------------------------


def test_a_message_without_a_complaint_is_queued_once_per_trigger(
    org, django_assert_num_queries
):
    customer = CustomerFactory(phone="13800001111")
    with _daytime():
        # the template lookup, the existing-row lookup, the INSERT (+ savepoint
        # pair of the test's transaction is not counted: no atomic here)
        with django_assert_num_queries(3):
            row, reason = cm.customer_message_queue(
                customer=customer,
                reference="SH202612020001",
                kind="visit_reminder",
                trigger_key="aftersales:visit:1",
                values={"time_window": "2026-12-03 09:00-11:00", "technician": "张伟"},
            )
        again, _reason = cm.customer_message_queue(
            customer=customer,
            reference="SH202612020001",
            kind="visit_reminder",
            trigger_key="aftersales:visit:1",
        )
    assert reason == ""
    assert again.pk == row.pk
    assert (row.complaint_id, row.customer_id, row.reference) == (
        None,
        customer.pk,
        "SH202612020001",
    )
    assert (row.channel, row.address, row.not_before) == ("sms", "13800001111", None)
    assert "2026-12-03 09:00-11:00" in row.body and "张伟" in row.body
    assert CustomerMessage.objects.filter(complaint__isnull=True).count() == 1


def test_a_message_without_a_complaint_needs_an_address(org):
    customer = CustomerFactory(phone="")
    row, reason = cm.customer_message_queue(
        customer=customer,
        reference="SH202612020001",
        kind="visit_reminder",
        trigger_key="aftersales:visit:1",
    )
    assert row is None
    assert "短信" in reason  # no usable address for SMS
    assert not CustomerMessage.objects.exists()


def test_withdrawing_touches_only_its_own_trigger(org, django_assert_num_queries):
    customer = CustomerFactory(phone="13800001111", department=org.dept_a)
    with _daytime():
        rows = [
            cm.customer_message_queue(
                customer=customer,
                reference="SH202612020001",
                kind="visit_reminder",
                trigger_key=key,
            )[0]
            for key in ("visit:1", "visit:2")
        ]
    complaint = make_complaint(actor=org.agent_a, customer=customer)
    with django_assert_num_queries(1):
        assert (
            cm.customer_message_withdraw(customer=customer, trigger_key="visit:1") == 1
        )
    # a second time: nothing pending any more
    assert cm.customer_message_withdraw(customer=customer, trigger_key="visit:1") == 0
    statuses = dict(
        CustomerMessage.objects.filter(complaint__isnull=True).values_list(
            "trigger_key", "status"
        )
    )
    assert statuses == {"visit:1": "withdrawn", "visit:2": "pending"}
    # a withdrawn row is never claimed by the worker
    md.customer_messages_deliver()
    assert CustomerMessage.objects.get(pk=rows[0].pk).status == "withdrawn"
    assert CustomerMessage.objects.get(pk=rows[1].pk).status == "sent"
    # the complaint's own messages carry its customer and reference
    ack = CustomerMessage.objects.get(complaint=complaint, kind="acknowledgement")
    assert (ack.customer_id, ack.reference) == (customer.pk, complaint.reference)
