"""Day-before visit reminders: exactly once, at local dates (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from aftersales import services as s
from aftersales.models import Appointment, AppointmentSlot, ServiceOrderEvent
from aftersales.services.reminders import visit_reminders_send
from aftersales.tasks import visit_reminders
from complaints.models import CustomerMessage, MessageTemplate
from complaints.services.customer_messages import customer_messages_deliver
from crm.models import Notification
from crm.services.privacy import ERASED_TEXT, customer_erase
from tests.complaints.test_concurrency import run_together
from tests.factories.aftersales import make_order, technician


def _booked(org, day):
    tech = technician(team=org.team_a)
    slot = AppointmentSlot.objects.create(
        technician=tech,
        date=day,
        start=time(14),
        end=time(16),
        area="浦东",
        kind="repair",
        capacity=2,
    )
    order = s.order_transition(
        actor=org.admin, order=make_order(actor=org.agent_a), to_status="approved"
    )
    return s.appointment_book(actor=org.agent_a, order=order, slot=slot), tech


@pytest.mark.parametrize(
    "utc",
    [
        datetime(2026, 6, 15, 4, 0, tzinfo=UTC),  # 12:00 in Shanghai, 15 June
        datetime(2026, 6, 14, 23, 30, tzinfo=UTC),  # 07:30 on 15 June locally
    ],
)
def test_tomorrows_visit_is_reminded_once(org, utc):
    from datetime import date

    with time_machine.travel(utc, tick=False):
        tomorrow, later = _booked(org, date(2026, 6, 16))[0], None
        later = _booked(org, date(2026, 6, 17))[0]

        assert visit_reminders_send() == 1
        assert visit_reminders_send() == 0
        assert visit_reminders() == 0  # the task: the same service

    tomorrow.refresh_from_db()
    later.refresh_from_db()
    assert tomorrow.customer_reminded_at is not None
    assert tomorrow.technician_reminded_at is not None
    assert later.technician_reminded_at is None
    notes = Notification.objects.filter(kind="aftersales_visit")
    assert list(notes.values_list("recipient__username", flat=True)) == ["technician_a"]
    assert tomorrow.order.reference in notes.get().title
    reminded = ServiceOrderEvent.objects.filter(kind="reminded")
    assert list(reminded.values_list("order_id", "customer_visible")) == [
        (tomorrow.order_id, True)
    ]


def test_a_cancelled_visit_is_not_reminded(org):
    from datetime import date

    with time_machine.travel(datetime(2026, 6, 15, 4, 0, tzinfo=UTC), tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        s.appointment_cancel(actor=org.agent_a, order=appointment.order, reason="改期")
        assert visit_reminders_send() == 0
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert not Notification.objects.filter(kind="aftersales_visit").exists()


# --- the customer's reminder through the customer-message outbox -------------------

SH = ZoneInfo("Asia/Shanghai")
NOON_15_JUNE = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
LATE_14_JUNE_UTC = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)  # 07:30 on 15 June


def _customer_messages(order):
    return CustomerMessage.objects.filter(reference=order.reference).order_by("pk")


@pytest.mark.parametrize(
    ("utc", "not_before"),
    [
        (NOON_15_JUNE, None),
        # 07:30 local is within the quiet hours (21:00-08:00): the SMS waits
        (LATE_14_JUNE_UTC, datetime(2026, 6, 15, 8, 0, tzinfo=SH)),
    ],
)
def test_the_customer_gets_one_text_queued_for_tomorrows_visit(org, utc, not_before):
    # given a visit tomorrow (local date) and one the day after
    with time_machine.travel(utc, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        later, _tech = _booked(org, date(2026, 6, 17))
        tech.user.name = "张伟"
        tech.user.save(update_fields=["name"])
        # when the sweep runs twice
        visit_reminders_send()
        visit_reminders_send()

    order = appointment.order
    # then one message, about the order, in Chinese, by SMS, to the customer
    message = _customer_messages(order).get()
    assert message.complaint_id is None
    assert message.customer_id == order.customer_id
    assert (message.kind, message.channel, message.language, message.status) == (
        "visit_reminder",
        "sms",
        "zh-hans",
        "pending",
    )
    assert message.trigger_key == f"aftersales:visit:{appointment.pk}"
    assert message.address == order.customer.phone.removeprefix("+86")
    assert message.subject == f"【{order.reference}】上门服务提醒"
    assert message.body == (
        f"您好，您预约的售后上门服务（服务单号 {order.reference}）将于 "
        "2026-06-16 14:00-16:00 进行，服务工程师：张伟。请您届时安排人员在场。"
        f"如需改期，请致电客服热线并提供服务单号 {order.reference}。"
        "感谢您的支持！"
    )
    assert message.not_before == not_before
    assert not _customer_messages(later.order).exists()
    # and the order's timeline says it was queued (not sent), customer-visible
    events = ServiceOrderEvent.objects.filter(order=order, kind="reminded")
    assert list(events.values_list("note", "customer_visible")) == [
        ("上门提醒（2026-06-16 14:00-16:00）已排队，待通过短信发给客户。", True)
    ]
    assert "已发送" not in events.get().note


def test_the_reminder_uses_the_preferred_channel_and_language(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        customer = appointment.order.customer
        customer.email, customer.preferred_channel = "li@example.com", "email"
        customer.preferred_language, customer.consent_to_contact = "en", True
        customer.save()
        visit_reminders_send()
    message = _customer_messages(appointment.order).get()
    assert (message.channel, message.language, message.address) == (
        "email",
        "en",
        "li@example.com",
    )
    assert message.subject.endswith("Reminder of your service visit")
    assert "2026-06-16 14:00-16:00" in message.body
    assert f"your technician: {tech.user.name}." in message.body
    assert "To move the visit" in message.body


def test_a_customer_with_only_an_email_address_gets_an_email(org):
    # no consent to be contacted: the visit is their own transaction
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        customer = appointment.order.customer
        customer.phone, customer.email = "", "wang@example.com"
        customer.save(update_fields=["phone", "email"])
        visit_reminders_send()
    message = _customer_messages(appointment.order).get()
    assert (message.channel, message.address) == ("email", "wang@example.com")
    assert appointment.order.events.get(kind="reminded").note.endswith(
        "已排队，待通过电子邮箱发给客户。"
    )


def test_an_edited_template_words_the_reminder(org):
    MessageTemplate.objects.create(
        kind="visit_reminder",
        channel="sms",
        language="zh-hans",
        body="{reference} {time_window} {technician}",
    )
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
    assert _customer_messages(appointment.order).get().body == (
        f"{appointment.order.reference} 2026-06-16 14:00-16:00 {tech.user.name}"
    )


def test_a_customer_without_an_address_gets_a_staff_note_instead(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        customer = appointment.order.customer
        customer.phone = "021-5555"  # not a mobile, and no e-mail
        customer.email = ""
        customer.save(update_fields=["phone", "email"])
        assert visit_reminders_send() == 1
        assert visit_reminders_send() == 0

    order = appointment.order
    assert not _customer_messages(order).exists()
    assert not order.events.filter(kind="reminded").exists()
    note = order.events.get(kind="note")
    assert note.customer_visible is False
    assert note.note.startswith("无法为客户排队上门提醒（2026-06-16 14:00-16:00）")
    # the technician is reminded all the same
    assert Notification.objects.filter(kind="aftersales_visit").count() == 1


def test_a_rescheduled_visit_gets_a_new_reminder_for_its_new_time(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        first = _customer_messages(appointment.order).get()
        # moved to 18:00 the same day: the queued text is withdrawn
        evening = AppointmentSlot.objects.create(
            technician=tech,
            date=date(2026, 6, 16),
            start=time(18),
            end=time(20),
            area="浦东",
            kind="repair",
            capacity=1,
        )
        moved = s.appointment_reschedule(
            actor=org.agent_a, order=appointment.order, slot=evening
        )
        first.refresh_from_db()
        assert first.status == "withdrawn"
        # and the next sweep reminds the new time, once
        assert visit_reminders_send() == 1
        assert visit_reminders_send() == 0

    rows = list(
        _customer_messages(appointment.order).values_list("trigger_key", "status")
    )
    assert rows == [
        (f"aftersales:visit:{appointment.pk}", "withdrawn"),
        (f"aftersales:visit:{moved.pk}", "pending"),
    ]
    assert "2026-06-16 18:00-20:00" in _customer_messages(appointment.order).last().body


def test_a_visit_moved_to_a_later_day_is_reminded_the_day_before_it(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        later = AppointmentSlot.objects.create(
            technician=tech,
            date=date(2026, 6, 18),
            start=time(9),
            end=time(11),
            area="浦东",
            kind="repair",
            capacity=1,
        )
        s.appointment_reschedule(actor=org.agent_a, order=appointment.order, slot=later)
        assert visit_reminders_send() == 0
    with time_machine.travel(datetime(2026, 6, 17, 4, 0, tzinfo=UTC), tick=False):
        assert visit_reminders_send() == 1
    assert "2026-06-18 09:00-11:00" in _customer_messages(appointment.order).get().body


@pytest.mark.parametrize("how", ["visit", "order"])
def test_a_cancelled_visit_loses_its_queued_reminder(org, how):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        if how == "visit":
            s.appointment_cancel(actor=org.agent_a, order=appointment.order, reason="x")
        else:
            s.order_transition(
                actor=org.admin, order=appointment.order, to_status="cancelled"
            )
        assert visit_reminders_send() == 0
        # nothing goes out
        assert customer_messages_deliver(backend=_Recorder()) == 0
    assert _customer_messages(appointment.order).get().status == "withdrawn"


class _CancelWhileSending:
    """A provider during whose send the desk cancels the visit."""

    def __init__(self, org, order, *, fails):
        self.org, self.order, self.fails, self.sent = org, order, fails, 0

    def send(self, outgoing):
        s.appointment_cancel(actor=self.org.agent_a, order=self.order, reason="改期")
        self.sent += 1
        if self.fails:
            raise ConnectionError("gateway down")
        return "p1"


@pytest.mark.parametrize("fails", [True, False])
def test_a_visit_cancelled_during_the_send_is_never_texted_again(org, fails):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        backend = _CancelWhileSending(org, appointment.order, fails=fails)
        customer_messages_deliver(backend=backend)
    message = _customer_messages(appointment.order).get()
    if fails:
        # the failed send does not put it back to pending: it stays withdrawn
        assert (message.status, message.lease_token) == ("withdrawn", None)
    else:
        assert message.status == "sent"  # it went out before the withdrawal
    with time_machine.travel(NOON_15_JUNE + timedelta(hours=1), tick=False):
        assert customer_messages_deliver(backend=backend) == 0
    assert backend.sent == 1


def test_a_worker_that_died_mid_send_does_not_text_a_cancelled_visit(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        message = _customer_messages(appointment.order).get()
        # a worker started the send and died holding the lease
        CustomerMessage.objects.filter(pk=message.pk).update(status="sending")
        s.appointment_cancel(actor=org.agent_a, order=appointment.order, reason="x")
    message.refresh_from_db()
    assert message.status == "withdrawn"
    with time_machine.travel(NOON_15_JUNE + timedelta(hours=1), tick=False):
        assert customer_messages_deliver(backend=_Recorder()) == 0


def test_a_failed_reminder_of_a_cancelled_visit_cannot_be_sent_again(org):
    from complaints.services.message_delivery import customer_message_retry

    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        message = _customer_messages(appointment.order).get()
        CustomerMessage.objects.filter(pk=message.pk).update(status="failed")
        s.appointment_cancel(actor=org.agent_a, order=appointment.order, reason="x")
        assert customer_message_retry(actor=org.admin, messages=[message]) == 0
    message.refresh_from_db()
    assert message.status == "withdrawn"


def test_a_technician_without_a_name_is_not_shown_by_login(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, tech = _booked(org, date(2026, 6, 16))
        tech.user.name = ""
        tech.user.first_name = tech.user.last_name = ""
        tech.user.save()
        visit_reminders_send()
    body = _customer_messages(appointment.order).get().body
    assert "服务工程师：我司工程师。" in body
    assert tech.user.username not in body


class _Recorder:
    def __init__(self):
        self.sent = []

    def send(self, outgoing):
        self.sent.append(outgoing)
        return f"p{len(self.sent)}"


def test_the_worker_sends_the_reminder_like_any_customer_message(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        backend = _Recorder()
        assert customer_messages_deliver(backend=backend) == 1
        assert customer_messages_deliver(backend=backend) == 0

    order = appointment.order
    message = _customer_messages(order).get()
    assert (message.status, message.attempts, message.provider_id) == ("sent", 1, "p1")
    [outgoing] = backend.sent
    assert outgoing.reference == order.reference
    assert outgoing.message_id == f"kefu-{order.reference}-m{message.pk}"
    assert outgoing.body == message.body
    # the order's timeline still only says it was queued
    assert list(order.events.filter(kind="reminded").values_list("kind", flat=True))
    assert not order.events.filter(note__contains="已发送").exists()


def test_a_failed_reminder_backs_off_and_counts_started_sends(org):
    class Down:
        def send(self, outgoing):
            raise ConnectionError("gateway down")

    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        assert customer_messages_deliver(backend=Down()) == 0
    message = _customer_messages(appointment.order).get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.not_before == NOON_15_JUNE + timedelta(minutes=1)
    assert "gateway down" in message.last_error


def test_erasing_the_customer_masks_and_fails_the_unsent_reminder(org):
    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
    customer_erase(actor=org.admin, customer=appointment.order.customer)
    message = _customer_messages(appointment.order).get()
    assert (message.address, message.body, message.status) == (
        "",
        ERASED_TEXT,
        "failed",
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)
def test_two_concurrent_sweeps_queue_one_reminder(org):
    with time_machine.travel(NOON_15_JUNE, tick=True):
        appointments = [_booked(org, date(2026, 6, 16))[0] for _ in range(3)]
        results = run_together(lambda i: visit_reminders_send(), 2)

    assert sum(results) == 3, results
    for appointment in appointments:
        order = appointment.order
        assert _customer_messages(order).count() == 1
        assert order.events.filter(kind="reminded").count() == 1
    assert Notification.objects.filter(kind="aftersales_visit").count() == 3


def test_a_failed_reminder_is_listed_and_sent_again_by_an_administrator(org, client):
    from django.urls import reverse

    from complaints.services.message_delivery import customer_message_retry

    with time_machine.travel(NOON_15_JUNE, tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        visit_reminders_send()
        message = _customer_messages(appointment.order).get()
        CustomerMessage.objects.filter(pk=message.pk).update(
            status="failed", attempts=5, last_error="ChannelError: HTTP 500"
        )
        client.force_login(org.admin)
        page = client.get(reverse("admin:complaints_customermessage_failed"))
        # the row names the service order (no complaint to link to)
        assert page.status_code == 200
        html = page.content.decode()
        assert f"<td>{appointment.order.reference}</td>" in html
        assert "上门服务提醒" in html
        assert customer_message_retry(actor=org.admin, messages=[message]) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.not_before) == (
        "pending",
        0,
        None,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)
def test_a_sweep_racing_cancellations_leaves_no_reminder_to_send(org):
    # given five visits of tomorrow, swept while the desk cancels them all
    with time_machine.travel(NOON_15_JUNE, tick=True):
        orders = [_booked(org, date(2026, 6, 16))[0].order for _ in range(5)]

        def work(i):
            if i == 0:
                return visit_reminders_send()
            for order in orders:
                s.appointment_cancel(actor=org.agent_a, order=order, reason="改期")
            return "cancelled"

        results = run_together(work, 2)

    # then neither side failed (no deadlock) and nothing is left to send
    assert not [r for r in results if isinstance(r, Exception)], results
    assert not Appointment.objects.filter(status="booked").exists()
    pending = CustomerMessage.objects.filter(
        kind="visit_reminder", status__in=("pending", "sending")
    )
    assert not pending.exists()
