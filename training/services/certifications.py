"""Certifications: issue, revoke, and the daily expiry sweep with reminders."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.errors import IllegalTransition, InvalidInput, NotPermitted
from crm import scoping
from crm.models import User
from crm.notifications import notify
from training import selectors
from training.models import Certification, TrainingEvent
from training.services.events import Kind, event, events

C = Certification.Status


def reminder_windows() -> list[int]:
    """Days before expiry at which holders are reminded (default: 30)."""
    return sorted(int(d) for d in settings.KEFU_TRAINING_CERT_REMINDER_DAYS)


@transaction.atomic
def certification_issue(
    *,
    actor: User | None,
    staff: User,
    qualification: str,
    issued_on: date,
    expires_on: date | None = None,
    number: str = "",
) -> Certification:
    """Record a qualification of ``staff`` (valid until ``expires_on``); the staff
    member must be in the actor's scope."""
    scoping.require_visible(actor, staff, field="staff")
    if expires_on is not None and expires_on <= issued_on:
        raise InvalidInput(
            _("The expiry date must be after the issue date."), field="expires_on"
        )
    certification = Certification(
        staff=staff,
        qualification=qualification,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        status=C.EXPIRED
        if expires_on is not None and expires_on < timezone.localdate()
        else C.VALID,
    )
    certification.full_clean()
    certification.save()
    event(
        Kind.CERTIFICATION_ISSUED,
        actor=actor,
        staff=staff,
        certification=certification,
    )
    return certification


@transaction.atomic
def certification_revoke(
    *, actor: User | None, certification: Certification
) -> Certification:
    certification = Certification.objects.select_for_update().get(pk=certification.pk)
    if certification.status == C.REVOKED:
        return certification
    if certification.status != C.VALID:
        raise IllegalTransition(_("Only a valid certification can be revoked."))
    certification.status = C.REVOKED
    certification.save(update_fields=["status"])
    event(
        Kind.CERTIFICATION_REVOKED,
        actor=actor,
        staff_id=certification.staff_id,
        certification=certification,
    )
    return certification


@transaction.atomic
def certification_renew(
    *,
    actor: User | None,
    certification: Certification,
    expires_on: date | None,
    issued_on: date | None = None,
    number: str | None = None,
) -> Certification:
    """Record a renewal: a new expiry date (and issue date, number). A renewed
    certification that had expired is valid again; reminders start over for
    the new date (their key names the expiry date)."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if cert.status == C.REVOKED:
        raise IllegalTransition(_("A revoked certification cannot be renewed."))
    issued_on = issued_on or cert.issued_on
    if expires_on is not None and expires_on <= issued_on:
        raise InvalidInput(
            _("The expiry date must be after the issue date."), field="expires_on"
        )
    cert.issued_on = issued_on
    cert.expires_on = expires_on
    if number is not None:
        cert.number = number
    cert.status = (
        C.EXPIRED
        if expires_on is not None and expires_on < timezone.localdate()
        else C.VALID
    )
    cert.full_clean(exclude=["staff"])
    cert.save(update_fields=["issued_on", "expires_on", "number", "status"])
    event(
        Kind.CERTIFICATION_ISSUED,
        actor=actor,
        staff_id=cert.staff_id,
        certification=cert,
        data={"renewal": True, "expires_on": str(expires_on or "")},
    )
    return cert


@transaction.atomic
def certification_update(
    *, actor: User | None, certification: Certification, qualification: str
) -> Certification:
    """Correct the name of the qualification (dates and number change through
    ``certification_renew``). The actor must be allowed to change the
    certification (permission and scope). An unchanged name writes nothing."""
    if actor is not None and not scoping.can_change(actor, certification):
        raise NotPermitted(_("You may not change this certification."))
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if cert.qualification == qualification:
        return cert
    before = cert.qualification
    cert.qualification = qualification
    cert.full_clean(exclude=["staff"])
    cert.save(update_fields=["qualification"])
    event(
        Kind.CERTIFICATION_UPDATED,
        actor=actor,
        staff_id=cert.staff_id,
        certification=cert,
        data={"qualification": [before, qualification]},
    )
    return cert


def reminder_key(certification: Certification, window: int) -> str:
    """One reminder per certification, expiry date and window: a renewed
    certification (new expiry date) is reminded again, a re-run is not."""
    return (
        f"training:certification:{certification.pk}:"
        f"{certification.expires_on.isoformat()}:{window}d"
    )


@transaction.atomic
def certification_sweep(*, now: datetime | None = None) -> dict:
    """The daily job: expire certifications past their date, remind holders of
    those expiring within a reminder window.

    Each holder is reminded exactly once per certification and window (the
    notification key is unique); when several windows apply at once only the
    nearest is sent. Safe to run twice or concurrently. Returns counts.
    """
    today = timezone.localdate(now) if now else timezone.localdate()
    lapsed = list(
        Certification.objects.select_for_update()
        .filter(status=C.VALID, expires_on__isnull=False, expires_on__lt=today)
        .values_list("pk", "staff_id")
    )
    expired = Certification.objects.filter(
        pk__in=[pk for pk, _staff in lapsed], status=C.VALID
    ).update(status=C.EXPIRED)
    events(
        TrainingEvent(
            kind=Kind.CERTIFICATION_EXPIRED, staff_id=staff_id, certification_id=pk
        )
        for pk, staff_id in lapsed
    )
    windows = reminder_windows()
    reminded = 0
    if windows:
        expiring = (
            selectors.certifications_expiring(within_days=windows[-1], today=today)
            .filter(expires_on__gte=today)  # lapsed ones were expired above
            .order_by("pk")
        )
        with translation.override(settings.LANGUAGE_CODE):
            for cert in expiring:
                days_left = (cert.expires_on - today).days
                window = next(w for w in windows if days_left <= w)
                _row, created = notify(
                    recipient=cert.staff,
                    kind="training.certification_expiring",
                    title=_("Certification expires on %(date)s: %(name)s")
                    % {"date": cert.expires_on.isoformat(), "name": cert.qualification},
                    body=_(
                        "Your certification %(name)s (%(number)s) expires in "
                        "%(days)s days. Please arrange the renewal with the "
                        "training team."
                    )
                    % {
                        "name": cert.qualification,
                        "number": cert.number or "-",
                        "days": days_left,
                    },
                    key=reminder_key(cert, window),
                    link=f"/admin/training/trainingrecord/{cert.staff_id}/change/",
                )
                if created:
                    reminded += 1
                    event(
                        Kind.CERTIFICATION_REMINDED,
                        staff_id=cert.staff_id,
                        certification=cert,
                        data={"window_days": window, "days_left": days_left},
                    )
    return {"expired": expired, "reminded": reminded}
