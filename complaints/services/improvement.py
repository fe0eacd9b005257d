"""分类改进 — classified improvement: what closing a complaint starts, by the
cause type its analysis found (the service standard's 改进 step).

* process (流程问题) → a CAPA draft for the department's manager (the team's
  supervisor when the department has none), linked to the complaint;
* product (产品问题) → a notification to the product owner
  (``KEFU_PRODUCT_OWNER``, a username; else the department's manager);
* staff error (人员问题) → coaching of the attributed staff member: training's
  rule (``training.followups.coaching_rule``, registered with the follow-up
  registry, since training sits above complaints).

Each runs inside the closing service's transaction, under the complaint's row
lock, and happens once per complaint: a reopened complaint closed again drafts
no second CAPA (the draft's unique key) and raises no second notification
(the notification's key).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint, CorrectiveAction
from complaints.services import clock
from complaints.services.capa import capa_create
from crm.notifications import notify

logger = logging.getLogger(__name__)
CT = Complaint.CauseType


def improvement_on_close(*, complaint: Complaint, to_status: str, **_moment) -> None:
    if to_status != Complaint.Status.CLOSED:
        return
    if complaint.cause_type == CT.PROCESS:
        process_capa_draft(complaint)
    elif complaint.cause_type == CT.PRODUCT:
        product_owner_notice(complaint)


def _department_lead(complaint: Complaint):
    department, team = complaint.department, complaint.team
    for person in (
        department.manager if department else None,
        team.supervisor if team else None,
    ):
        if person is not None and person.is_active:
            return person
    return None


def draft_key(complaint: Complaint) -> str:
    return f"cause:process:{complaint.pk}"


def process_capa_draft(complaint: Complaint) -> CorrectiveAction | None:
    """The CAPA draft of a complaint closed with a process cause (once)."""
    key = draft_key(complaint)
    if CorrectiveAction.objects.filter(spike_key=key).exists():
        return None
    owner = _department_lead(complaint)
    if owner is None:
        logger.info("process cause of %s: no manager to draft a CAPA for", complaint)
        return None
    try:
        with transaction.atomic():
            capa = capa_create(
                actor=None,
                title=_("Process cause of %(reference)s: %(subject)s")
                % {"reference": complaint.reference, "subject": complaint.subject},
                root_cause=complaint.root_cause
                or complaint.cause_hypothesis
                or _("To be analysed (drafted when the complaint closed)."),
                action=_(
                    "Review the process behind this complaint and plan the change."
                ),
                owner=owner,
                due_date=timezone.localdate(clock.now())
                + timedelta(days=settings.KEFU_CAPA_SPIKE_DUE_DAYS),
                complaints=[complaint],
            )
            CorrectiveAction.objects.filter(pk=capa.pk).update(spike_key=key)
    except IntegrityError:  # drafted meanwhile by a concurrent close
        return None
    return capa


def product_owner(complaint: Complaint):
    username = settings.KEFU_PRODUCT_OWNER
    if username:
        owner = (
            get_user_model().objects.filter(username=username, is_active=True).first()
        )
        if owner is not None:
            return owner
    department = complaint.department
    manager = department.manager if department else None
    return manager if manager is not None and manager.is_active else None


def product_owner_notice(complaint: Complaint) -> bool:
    """Tell the product owner about a complaint closed with a product cause."""
    owner = product_owner(complaint)
    if owner is None:
        return False
    _row, created = notify(
        recipient=owner,
        kind="product_issue",
        title=_("Product problem found by complaint %(reference)s")
        % {"reference": complaint.reference},
        body=complaint.root_cause or complaint.cause_hypothesis or complaint.subject,
        link=complaint.get_absolute_url(),
        key=f"complaint:{complaint.pk}:product_issue",
    )
    return created
