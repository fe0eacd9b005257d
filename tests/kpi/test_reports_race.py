"""The monthly pack under concurrent runs on PostgreSQL: two report jobs and
then two outbox deliveries at once still mail each manager their pack exactly
once. Skipped on SQLite (it serialises writers anyway)."""

from datetime import date

import pytest
from django.core import mail
from django.db import connection

from crm.models import Notification, NotificationAttachment
from crm.notification_emails import notification_emails_deliver
from kpi.services import kpi_compute_period
from kpi.services.reports import kpi_send_monthly_reports
from tests.complaints.test_concurrency import run_together
from tests.factories.kpi import inspection, local, month

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]


def test_two_concurrent_jobs_and_deliveries_mail_each_pack_once(org, monkeypatch):
    monkeypatch.setattr("crm.notifications._enqueue_delivery", lambda: None)
    inspection(
        inspector=org.qa_inspector_a, staff=org.agent_a, at=local(2026, 11, 3, 10)
    )
    kpi_compute_period(actor=None, period=month(2026, 11), now=local(2026, 12, 1))

    raised = run_together(
        lambda i: kpi_send_monthly_reports(today=date(2026, 12, 1)), 2
    )
    sent = run_together(lambda i: notification_emails_deliver(), 2)

    assert sum(raised) == 2 and sum(sent) == 2, (raised, sent)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.manager_a.email, org.manager_b.email]
    )
    assert all(len(m.attachments) == 1 for m in mail.outbox)
    assert NotificationAttachment.objects.count() == 2
    assert set(Notification.objects.values_list("email_status", "email_attempts")) == {
        ("sent", 1)
    }
