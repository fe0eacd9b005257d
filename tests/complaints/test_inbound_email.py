"""Complaints by e-mail (issue 13, "Inbound e-mail"): the Maildir fixtures in
tests/complaints/maildir/ each give the expected complaint or event and nothing
else; the provider endpoint checks its signature; IMAP is read like Maildir."""

from __future__ import annotations

import hashlib
import hmac
import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    InboundEmail,
)
from complaints.services.inbound import outbound_message_id
from complaints.services.inbound_sources import poll_imap, poll_maildir
from crm import pii
from crm.models import Customer
from tests.factories import CustomerFactory
from tests.factories.complaints import walk

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "maildir"
# 2026-12-01 10:30 in Shanghai: the first complaint of the day is TS202612010001
# (the reference the reply fixture quotes).
MORNING = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
EK = ComplaintEvent.Kind


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.fixture
def inbox(tmp_path, settings):
    """deliver(*fixture names) drops the files into a Maildir and polls it."""
    path = tmp_path / "inbound"
    settings.KEFU_INBOUND_MAILDIR = str(path)
    folder = mailbox.Maildir(path, create=True)

    def deliver(*names: str) -> int:
        for name in names:
            folder.add((FIXTURES / name).read_bytes())
        return poll_maildir()

    return deliver


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only_complaint() -> Complaint:
    (complaint,) = Complaint.objects.all()
    return complaint


def test_plain_mail_creates_one_complaint_for_a_new_customer(inbox):
    assert inbox("plain.eml") == 1

    complaint = only_complaint()
    assert complaint.channel == Complaint.Channel.EMAIL
    assert complaint.category.code == "other"
    assert complaint.subject == "快件延误三天"
    assert "SF1234567890" in complaint.description
    assert complaint.reference == "TS202612010001"
    customer = complaint.customer
    assert customer.name == "张三"
    assert customer.email == "zhang.san@example.cn"
    assert Customer.objects.count() == 1
    row = InboundEmail.objects.get()
    assert row.outcome == InboundEmail.Outcome.CREATED
    assert row.complaint == complaint
    assert row.message_id == "<plain-1@mail.example.cn>"
    assert row.raw is None  # only quarantined mail keeps its bytes
    # Read once: the message is flagged seen, a second poll reads nothing.
    assert inbox() == 0
    assert Complaint.objects.count() == 1


def test_read_mail_is_flagged_seen_with_its_bytes_untouched(inbox, tmp_path):
    inbox("gbk-subject.eml", "malformed.eml")

    root = tmp_path / "inbound"
    assert list((root / "new").iterdir()) == []
    kept = sorted(p.read_bytes() for p in (root / "cur").iterdir())
    assert kept == sorted([raw("gbk-subject.eml"), raw("malformed.eml")])
    assert all(p.name.endswith(":2,S") for p in (root / "cur").iterdir())


def test_an_empty_directory_made_by_hand_is_a_maildir(tmp_path, settings):
    settings.KEFU_INBOUND_MAILDIR = str(tmp_path / "by-hand")
    (tmp_path / "by-hand").mkdir()

    assert poll_maildir() == 0
    assert (tmp_path / "by-hand" / "new").is_dir()


def test_known_customer_is_matched_by_the_email_digest(inbox):
    known = CustomerFactory(name="张三（老客户）", email="Zhang.San@example.cn")

    inbox("plain.eml")

    assert only_complaint().customer == known
    assert Customer.objects.count() == 1
    assert known.email_digest in pii.email_digests("zhang.san@example.cn")


def test_html_only_mail_becomes_plain_text(inbox):
    inbox("html-only.eml")

    complaint = only_complaint()
    assert complaint.subject == "Damaged parcel"
    assert complaint.description == "The box arrived crushed.\nPlease help & reply."
    assert complaint.customer.name == "Li Si"


def test_gbk_encoded_subject_and_body_are_decoded(inbox):
    inbox("gbk-subject.eml")

    complaint = only_complaint()
    assert complaint.subject == "包裹丢失投诉"
    assert complaint.description == "我的包裹在转运中心丢失了，请尽快处理。"
    assert complaint.customer.name == "wang.wu"  # no display name: the mailbox


def test_attachments_are_kept_under_the_attachment_limits(inbox):
    inbox("attachment.eml")

    complaint = only_complaint()
    (kept,) = ComplaintAttachment.objects.filter(complaint=complaint)
    assert kept.original_name == "receipt.pdf"
    assert kept.content_type == "application/pdf"
    # The HTML attachment is refused (as an upload would be), and staff see why.
    row = InboundEmail.objects.get()
    assert "page.html" in row.reason
    note = complaint.events.get(kind=EK.NOTE)
    assert "page.html" in note.note and not note.customer_visible
    assert complaint.events.filter(kind=EK.ATTACHMENT).count() == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto-reply.eml", "Auto-Submitted: auto-replied"),
        ("bounce.eml", "multipart/report"),
    ],
)
def test_auto_replies_and_bounces_create_nothing(inbox, name, reason):
    inbox(name)

    assert not Complaint.objects.exists()
    assert not Customer.objects.exists()
    row = InboundEmail.objects.get()
    assert row.outcome == InboundEmail.Outcome.IGNORED
    assert reason in row.reason


@pytest.mark.parametrize(
    "headers",
    [
        "Precedence: bulk\r\n",
        "Precedence: list\r\n",
        "Precedence: junk\r\n",
        "X-Autoreply: yes\r\n",
    ],
)
def test_bulk_and_list_mail_creates_nothing(inbox, tmp_path, headers):
    from complaints.services.inbound import inbound_email_receive

    inbound_email_receive(raw=headers.encode() + raw("plain.eml"), source="maildir")

    assert not Complaint.objects.exists()
    assert InboundEmail.objects.get().outcome == InboundEmail.Outcome.IGNORED


def test_postmaster_sender_creates_nothing():
    from complaints.services.inbound import inbound_email_receive

    mail = raw("plain.eml").replace(
        b"From: =?utf-8?b?5byg5LiJ?= <zhang.san@example.cn>",
        b"From: postmaster@example.cn",
    )
    inbound_email_receive(raw=mail, source="maildir")

    assert not Complaint.objects.exists()


def test_duplicate_message_id_is_ignored(inbox):
    inbox("plain.eml", "duplicate.eml")

    assert Complaint.objects.count() == 1
    assert InboundEmail.objects.count() == 1
    assert only_complaint().events.filter(kind=EK.CUSTOMER_MESSAGE).count() == 0


def test_reply_with_reference_is_a_customer_message_not_a_first_response(inbox):
    inbox("plain.eml")
    complaint = only_complaint()
    events_before = complaint.events.count()

    inbox("reply-with-reference.eml")

    assert Complaint.objects.count() == 1
    complaint.refresh_from_db()
    message = complaint.events.get(kind=EK.CUSTOMER_MESSAGE)
    assert message.customer_visible
    assert message.note == "Still nothing has arrived, please call me."
    assert complaint.events.count() == events_before + 1
    assert complaint.first_response_at is None
    assert complaint.status == Complaint.Status.RECEIVED
    row = InboundEmail.objects.get(message_id="<reply-1@mail.example.cn>")
    assert row.outcome == InboundEmail.Outcome.APPENDED
    assert row.complaint == complaint


def test_reply_to_a_resolved_complaint_reopens_it(inbox, org):
    inbox("plain.eml")
    complaint = walk(only_complaint(), "resolved", actor=org.admin)

    inbox("reply-with-reference.eml")

    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REOPENED
    assert complaint.reopened_count == 1
    reopened = complaint.events.get(kind=EK.REOPENED)
    assert reopened.actor is None
    assert complaint.events.filter(kind=EK.CUSTOMER_MESSAGE).count() == 1


def test_reply_after_the_reopen_window_does_not_reopen(inbox, org, settings):
    inbox("plain.eml")
    complaint = walk(only_complaint(), "resolved", actor=org.admin)
    settings.KEFU_REOPEN_WINDOW_DAYS = 0

    inbox("reply-with-reference.eml")

    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RESOLVED
    assert complaint.events.filter(kind=EK.CUSTOMER_MESSAGE).count() == 1


def test_reply_found_by_in_reply_to_of_kefus_own_message_id():
    from complaints.services.inbound import inbound_email_receive

    inbound_email_receive(raw=raw("plain.eml"), source="maildir")
    complaint = only_complaint()
    ours = outbound_message_id(complaint.reference, "abc123", "kefu.example.cn")
    mail = (
        raw("reply-with-reference.eml")
        .replace(b"[TS202612010001] ", b"")
        .replace(b"<plain-1@mail.example.cn>", ours.encode())
    )

    inbound_email_receive(raw=mail, source="maildir")

    assert Complaint.objects.count() == 1
    assert complaint.events.filter(kind=EK.CUSTOMER_MESSAGE).count() == 1


def test_a_reference_quoted_by_someone_else_opens_a_new_complaint(inbox):
    inbox("plain.eml")
    stranger = (
        raw("reply-with-reference.eml")
        .replace(b"ZHANG.SAN@example.cn", b"someone.else@example.cn")
        .replace(b"<plain-1@mail.example.cn>", b"<elsewhere@example.cn>")
    )
    from complaints.services.inbound import inbound_email_receive

    inbound_email_receive(raw=stranger, source="maildir")

    assert Complaint.objects.count() == 2
    first = Complaint.objects.get(reference="TS202612010001")
    assert not first.events.filter(kind=EK.CUSTOMER_MESSAGE).exists()


def test_malformed_mime_is_quarantined_with_its_bytes(inbox):
    inbox("malformed.eml")

    assert not Complaint.objects.exists()
    row = InboundEmail.objects.get()
    assert row.outcome == InboundEmail.Outcome.QUARANTINED
    assert "NoBoundaryInMultipartDefect" in row.reason
    assert bytes(row.raw) == raw("malformed.eml")
    assert inbox() == 0  # read once, kept once


def test_quarantine_is_shown_in_the_admin(inbox, admin_client):
    inbox("malformed.eml")
    row = InboundEmail.objects.get()

    page = admin_client.get(
        reverse("admin:complaints_inboundemail_change", args=[row.pk])
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "NoBoundaryInMultipartDefect" in html
    assert "no boundary parameter, the parts cannot be found" in html


# --- POST /inbound/email/ ----------------------------------------------------------


def _signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_provider_post_with_a_good_signature_creates_the_complaint(client, settings):
    settings.KEFU_INBOUND_SECRET = "s3cret"
    body = raw("plain.eml")
    url = reverse("public:inbound-email")

    first = client.post(
        url,
        body,
        content_type="message/rfc822",
        HTTP_X_KEFU_SIGNATURE=_signed(body, "s3cret"),
    )
    again = client.post(
        url,
        body,
        content_type="message/rfc822",
        HTTP_X_KEFU_SIGNATURE=_signed(body, "s3cret"),
    )

    assert first.status_code == 200
    assert first.json() == {
        "outcome": "created",
        "duplicate": False,
        "reference": "TS202612010001",
    }
    assert again.json()["duplicate"] is True
    assert Complaint.objects.count() == 1
    assert InboundEmail.objects.get().source == InboundEmail.Source.WEBHOOK


@pytest.mark.parametrize("secret", ["s3cret", ""])
def test_provider_post_with_a_bad_signature_is_refused(client, settings, secret):
    settings.KEFU_INBOUND_SECRET = secret
    body = raw("plain.eml")

    response = client.post(
        reverse("public:inbound-email"),
        body,
        content_type="message/rfc822",
        HTTP_X_KEFU_SIGNATURE=_signed(body, "wrong"),
    )

    assert response.status_code == 403
    assert not InboundEmail.objects.exists()
    assert not Complaint.objects.exists()


# --- IMAP ----------------------------------------------------------------------------


class FakeImap:
    """Just enough of imaplib.IMAP4 for poll_imap: UIDs, UNSEEN, flags."""

    instances: list[FakeImap] = []

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.messages = {b"7": raw("plain.eml"), b"8": raw("bounce.eml")}
        self.seen: set[bytes] = set()
        self.calls: list[tuple] = []
        FakeImap.instances.append(self)

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def select(self, folder):
        self.calls.append(("select", folder))
        return "OK", [b"2"]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [u for u in self.messages if u not in self.seen]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid = args[0]
            return "OK", [(uid + b" (BODY[] {n}", self.messages[uid]), b")"]
        if command == "STORE":
            self.seen.add(args[0])
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        self.calls.append(("logout",))


def test_imap_poll_reads_unseen_mail_and_flags_it_seen():
    FakeImap.instances.clear()
    url = "imaps://kefu%40example.cn:pa%3Ass@imap.example.cn/Complaints"

    assert poll_imap(url, connect=FakeImap) == 2

    (imap,) = FakeImap.instances
    assert (imap.host, imap.port) == ("imap.example.cn", 993)
    assert imap.calls[:2] == [
        ("login", "kefu@example.cn", "pa:ss"),
        ("select", "Complaints"),
    ]
    assert imap.seen == {b"7", b"8"}
    assert Complaint.objects.count() == 1  # the bounce created nothing
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {"imap"}


def test_imap_is_off_without_a_url(settings):
    settings.KEFU_IMAP_URL = ""
    assert poll_imap() == 0


def test_erasure_masks_the_customer_in_the_received_mail_rows(org):
    from complaints.services.inbound import inbound_email_receive
    from crm.services import privacy_request_create, privacy_request_execute

    mail = raw("plain.eml").replace(
        b"Subject: =?utf-8?b?5b+r5Lu25bu26K+v5LiJ5aSp?=",
        "Subject: 张三的快件延误".encode(),
    )
    row, _created = inbound_email_receive(raw=mail, source="maildir")
    customer = only_complaint().customer
    request = privacy_request_create(
        actor=org.admin, customer=customer, kind="erase", requested_by="本人"
    )

    privacy_request_execute(actor=org.admin, request=request)

    row.refresh_from_db()
    assert "张三" not in row.subject and "***" in row.subject


def test_quarantined_mail_is_processed_again_once_the_cause_is_fixed(org, settings):
    from complaints.services import inbound_email_retry
    from complaints.services.inbound import inbound_email_receive

    settings.KEFU_INBOUND_CATEGORY = "no-such-category"
    row, _created = inbound_email_receive(raw=raw("plain.eml"), source="imap")
    assert row.outcome == InboundEmail.Outcome.QUARANTINED
    assert row.reason.startswith("refused by intake")
    assert bytes(row.raw) == raw("plain.eml")
    settings.KEFU_INBOUND_CATEGORY = "other"

    again = inbound_email_retry(actor=org.admin, inbound_email=row)

    assert again.outcome == InboundEmail.Outcome.CREATED
    assert again.source == "imap" and again.raw is None
    assert InboundEmail.objects.count() == 1
    assert only_complaint().subject == "快件延误三天"


def test_unreadable_mail_stays_quarantined_and_only_admins_retry(org):
    from complaints.services import inbound_email_retry
    from complaints.services.inbound import inbound_email_receive
    from config.errors import Conflict, NotPermitted

    row, _created = inbound_email_receive(raw=raw("malformed.eml"), source="maildir")
    with pytest.raises(NotPermitted):
        inbound_email_retry(actor=org.manager_a, inbound_email=row)

    again = inbound_email_retry(actor=org.admin, inbound_email=row)

    assert again.outcome == InboundEmail.Outcome.QUARANTINED
    assert bytes(again.raw) == raw("malformed.eml")
    with pytest.raises(Conflict):
        inbound_email_retry(
            actor=org.admin,
            inbound_email=inbound_email_receive(raw=raw("plain.eml"), source="x")[0],
        )


def test_the_admin_action_processes_quarantined_mail_again(org, settings, admin_client):
    from complaints.services.inbound import inbound_email_receive

    settings.KEFU_INBOUND_CATEGORY = "no-such-category"
    row, _created = inbound_email_receive(raw=raw("plain.eml"), source="maildir")
    settings.KEFU_INBOUND_CATEGORY = "other"

    response = admin_client.post(
        reverse("admin:complaints_inboundemail_changelist"),
        {"action": "process_again", "_selected_action": [row.pk]},
    )

    assert response.status_code == 302
    assert InboundEmail.objects.get().outcome == InboundEmail.Outcome.CREATED
    assert Complaint.objects.count() == 1


# --- a team for mail no rule routes; quarantine encrypted and erased ----------


def test_mail_no_rule_routes_goes_to_the_configured_team(inbox, org, settings):
    from complaints.models import AssignmentRule

    assert not AssignmentRule.objects.filter(is_active=True).exists()
    settings.KEFU_INBOUND_TEAM = org.team_b.code

    inbox("plain.eml")

    complaint = only_complaint()
    assert complaint.team == org.team_b
    assert complaint.department_id == org.team_b.department_id
    assert complaint.events.filter(kind=EK.ASSIGNED).count() == 1


def test_mail_no_rule_routes_without_the_setting_still_gets_a_team(
    inbox, org, settings
):
    from crm.models import Team

    settings.KEFU_INBOUND_TEAM = "no-such-team"  # unknown: never unroutable
    Team.objects.filter(pk=org.team_a.pk).update(supervisor=None)

    inbox("plain.eml")

    # the first active team with a supervisor
    assert only_complaint().team == org.team_b


def test_a_routing_rule_wins_over_the_default_team(inbox, org, settings):
    from complaints.models import AssignmentRule

    AssignmentRule.objects.create(name="邮件", channel="email", team=org.team_a)
    settings.KEFU_INBOUND_TEAM = org.team_b.code

    inbox("plain.eml")

    assert only_complaint().team == org.team_a


def test_quarantined_mail_is_stored_encrypted(inbox):
    from django.db import connection

    inbox("malformed.eml")

    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw("malformed.eml")  # the admin reads it back
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT raw FROM complaints_inboundemail WHERE id = %s", [row.pk]
        )
        (stored,) = cursor.fetchone()
    stored = stored if isinstance(stored, str) else bytes(stored).decode()
    assert stored.startswith("gAAAA")  # a Fernet token
    assert b"Content-Type" not in stored.encode()
    assert "boundary" not in stored


def test_erasure_drops_the_customers_quarantined_mail(org):
    from complaints.services.inbound import inbound_email_receive
    from crm.services import privacy_request_create, privacy_request_execute

    customer = CustomerFactory(
        department=org.dept_a, name="张三", email="zhang.san@example.cn"
    )
    broken = raw("malformed.eml")
    assert b"zhang.san@example.cn" not in broken
    theirs = broken.replace(b"From: ", b"From: zhang.san@example.cn\nX-Was: ", 1)
    assert b"zhang.san@example.cn" in theirs
    mine, _c = inbound_email_receive(raw=theirs, source="maildir")
    other, _c = inbound_email_receive(raw=broken, source="maildir")
    assert mine.outcome == other.outcome == InboundEmail.Outcome.QUARANTINED
    request = privacy_request_create(
        actor=org.admin, customer=customer, kind="erase", requested_by="本人"
    )

    privacy_request_execute(actor=org.admin, request=request)

    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.raw is None and "[已删除]" in mine.reason
    assert mine.outcome == InboundEmail.Outcome.QUARANTINED  # the record stays
    assert bytes(other.raw) == broken  # someone else's mail is kept
