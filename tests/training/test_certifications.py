"""Certification expiry sweep: expire, remind holders exactly once per window."""

from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.errors import IllegalTransition, InvalidInput
from crm.models import Notification
from tests.factories.training import CertificationFactory
from training import services, tasks
from training.models import Certification
from training.selectors import certifications_expiring

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def _now(day: date) -> datetime:
    return datetime.combine(day, time(7, 10), tzinfo=timezone.get_default_timezone())


def _reminders():
    return Notification.objects.filter(kind="training.certification_expiring")


@pytest.fixture
def certs(org):
    return {
        "soon": CertificationFactory(
            staff=org.agent_a, expires_on=TODAY + timedelta(days=10)
        ),
        "edge": CertificationFactory(
            staff=org.agent_b, expires_on=TODAY + timedelta(days=30)
        ),
        "later": CertificationFactory(
            staff=org.complaint_handler_a, expires_on=TODAY + timedelta(days=31)
        ),
        "past": CertificationFactory(
            staff=org.complaint_handler_b,
            issued_on=TODAY - timedelta(days=400),
            expires_on=TODAY - timedelta(days=1),
        ),
        "forever": CertificationFactory(staff=org.supervisor_a, expires_on=None),
        "revoked": CertificationFactory(
            staff=org.supervisor_b,
            expires_on=TODAY + timedelta(days=5),
            status=Certification.Status.REVOKED,
        ),
    }


def test_sweep_expires_and_reminds_holders_within_30_days(org, certs):
    result = services.certification_sweep(now=_now(TODAY))

    assert result == {"expired": 1, "reminded": 2}
    certs["past"].refresh_from_db()
    assert certs["past"].status == Certification.Status.EXPIRED
    assert set(_reminders().values_list("recipient__username", flat=True)) == {
        "agent_a",
        "agent_b",
    }
    note = _reminders().get(recipient=org.agent_a)
    assert note.key == f"training:certification:{certs['soon'].pk}:2026-12-05:30d"
    assert "2026-12-05" in note.title
    assert note.email_status == Notification.EmailStatus.PENDING


def test_reminders_are_sent_exactly_once_per_certification_and_window(org, certs):
    services.certification_sweep(now=_now(TODAY))
    # the next days' sweeps, and a concurrent re-run, add nothing
    for day in range(0, 9):
        result = services.certification_sweep(now=_now(TODAY + timedelta(days=day)))
        assert result["reminded"] == (1 if day == 1 else 0)  # "later" enters its window
    assert _reminders().count() == 3
    assert _reminders().filter(recipient=org.agent_a).count() == 1


def test_a_renewed_certification_is_reminded_again_for_its_new_expiry(org, certs):
    services.certification_sweep(now=_now(TODAY))
    soon = certs["soon"]
    soon.expires_on = TODAY + timedelta(days=390)
    soon.save(update_fields=["expires_on"])
    # a year later the renewed certificate approaches its new date
    services.certification_sweep(now=_now(TODAY + timedelta(days=370)))
    assert _reminders().filter(recipient=org.agent_a).count() == 2


def test_several_windows_remind_once_each_nearest_first_when_late(org, certs, settings):
    settings.KEFU_TRAINING_CERT_REMINDER_DAYS = [30, 7]
    services.certification_sweep(now=_now(TODAY))  # soon: 10 days → 30d window
    services.certification_sweep(now=_now(TODAY + timedelta(days=3)))  # 7 days left
    services.certification_sweep(now=_now(TODAY + timedelta(days=4)))
    keys = set(_reminders().filter(recipient=org.agent_a).values_list("key", flat=True))
    assert {k.rsplit(":", 1)[1] for k in keys} == {"30d", "7d"}


def test_expiring_selector_lists_valid_certifications_within_the_window(org, certs):
    listed = set(certifications_expiring(within_days=30, today=TODAY))
    # "past" is still valid until the sweep marks it expired
    assert {certs["soon"], certs["edge"], certs["past"]} == listed


def test_the_beat_runs_the_named_task_daily(org, certs):
    entry = settings.CELERY_BEAT_SCHEDULE["training-certification-sweep"]
    assert entry["task"] == "training.certification_sweep"
    assert tasks.certification_sweep.name == "training.certification_sweep"
    result = tasks.certification_sweep.apply().get()
    assert result["expired"] >= 0
    assert tasks.certification_sweep.apply().get()["reminded"] == 0


@pytest.mark.usefixtures("local_day_edge")  # also at 23:30 UTC = 07:30 CST
def test_issue_and_revoke(org):
    today = timezone.localdate()
    cert = services.certification_issue(
        actor=org.trainer_a,
        staff=org.agent_a,
        qualification="客户服务专员资格证",
        issued_on=today,
        expires_on=today + timedelta(days=730),
        number="ZG-1",
    )
    assert cert.status == Certification.Status.VALID
    with pytest.raises(InvalidInput):
        services.certification_issue(
            actor=org.trainer_a,
            staff=org.agent_a,
            qualification="x",
            issued_on=today,
            expires_on=today,
        )
    services.certification_revoke(actor=org.trainer_a, certification=cert)
    cert.refresh_from_db()
    assert cert.status == Certification.Status.REVOKED
    expired = CertificationFactory(status=Certification.Status.EXPIRED)
    with pytest.raises(IllegalTransition):
        services.certification_revoke(actor=org.trainer_a, certification=expired)


def test_renewing_an_expired_certification_makes_it_valid_again(org):
    cert = CertificationFactory(
        staff=org.agent_a,
        issued_on=TODAY - timedelta(days=800),
        expires_on=TODAY - timedelta(days=3),
        status=Certification.Status.EXPIRED,
    )
    renewed = services.certification_renew(
        actor=org.trainer_a,
        certification=cert,
        issued_on=TODAY - timedelta(days=1),
        expires_on=TODAY + timedelta(days=1000),
        number="ZG-NEW",
    )
    assert (renewed.status, renewed.number) == (Certification.Status.VALID, "ZG-NEW")
    with pytest.raises(InvalidInput):
        services.certification_renew(
            actor=org.trainer_a,
            certification=cert,
            expires_on=TODAY - timedelta(days=5),
        )
    revoked = CertificationFactory(status=Certification.Status.REVOKED)
    with pytest.raises(IllegalTransition):
        services.certification_renew(
            actor=org.trainer_a, certification=revoked, expires_on=None
        )
