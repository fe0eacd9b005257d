"""CAPA (corrective and preventive actions): create, edit, link, start,
complete, verify.

A CAPA addresses a root cause behind one or many complaints. Its owner completes
it; a supervisor or manager (not the owner) then verifies its effectiveness.
Every service checks the actor's role and that the CAPA is in their scope
(``crm.scoping``: its department, team, owner or creator), and every change
writes exactly one append-only ``CapaEvent``.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import (
    CapaEvent,
    CapaEvidence,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
)
from complaints.services import clock, permissions
from complaints.services.events import event_record
from config.errors import IllegalTransition, InvalidInput, NotPermitted, VersionConflict
from crm import scoping
from crm.notifications import notify
from crm.roles import Role

CS = CorrectiveAction.Status
EK = CapaEvent.Kind
CAPA_CREATORS = permissions.RESOLVERS
CAPA_VERIFIERS = permissions.LEADS

# CAPA status changes, as data.
CAPA_TRANSITIONS: dict[str, frozenset[str]] = {
    CS.OPEN: frozenset({CS.IN_PROGRESS, CS.COMPLETED, CS.CANCELLED}),
    CS.IN_PROGRESS: frozenset({CS.COMPLETED, CS.CANCELLED}),
    CS.COMPLETED: frozenset({CS.VERIFIED, CS.INEFFECTIVE}),
    CS.INEFFECTIVE: frozenset({CS.IN_PROGRESS, CS.CANCELLED}),
    CS.VERIFIED: frozenset(),
    CS.CANCELLED: frozenset(),
}


# What ``capa_update`` may change (the owner and the complaints have services).
EDITABLE_FIELDS = ("title", "kind", "root_cause", "action", "due_date")


def _event(
    capa: CorrectiveAction,
    kind: str,
    *,
    actor,
    from_status: str = "",
    note: str = "",
    data: dict | None = None,
) -> CapaEvent:
    """The one event of a change (``to_status`` is the status after it)."""
    return CapaEvent.objects.create(
        capa=capa,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=capa.status if from_status or kind == EK.CREATED else "",
        note=note,
        data=data or {},
        created_at=clock.now(),
    )


def _require_capa_scope(actor, capa: CorrectiveAction) -> None:
    """The CAPA must be in the actor's scope (its owner and creator always are)."""
    if actor is None or actor.pk in (capa.owner_id, capa.created_by_id):
        return
    if not scoping.can_view(actor, capa):
        raise NotPermitted(_("This corrective action is outside your scope."))


def _capa_status(capa: CorrectiveAction, to_status: str) -> None:
    if to_status not in CAPA_TRANSITIONS[capa.status]:
        raise IllegalTransition(
            _("A corrective action cannot go from %(from)s to %(to)s.")
            % {"from": capa.get_status_display(), "to": CS(to_status).label}
        )
    capa.status = to_status


def _lock_capa(capa: CorrectiveAction, version: int | None) -> CorrectiveAction:
    locked = CorrectiveAction.objects.select_for_update().get(pk=capa.pk)
    if version is not None and locked.version != version:
        raise VersionConflict(_("The corrective action was changed by someone else."))
    return locked


def _visible_complaints(actor, complaints) -> list[Complaint]:
    ids = [c.pk for c in complaints]
    qs = Complaint.objects.filter(pk__in=ids)
    if actor is not None:
        qs = scoping.visible_to(actor, qs)
    found = list(qs)
    if len(found) != len(set(ids)):
        raise NotPermitted(_("Some of these complaints are outside your scope."))
    return found


def _link(capa, complaints, *, actor) -> list[Complaint]:
    """Link the complaints not linked yet (each gets a ``capa_linked`` event);
    returns those."""
    existing = set(capa.complaints.values_list("pk", flat=True))
    new = [c for c in complaints if c.pk not in existing]
    capa.complaints.add(*new)
    for complaint in new:
        event_record(
            complaint=complaint,
            kind=ComplaintEvent.Kind.CAPA_LINKED,
            actor=actor,
            data={"capa_id": capa.pk, "title": capa.title},
        )
    return new


@transaction.atomic
def capa_create(
    *,
    actor,
    title: str,
    root_cause: str,
    action: str,
    owner,
    due_date: date,
    kind: str = CorrectiveAction.Kind.CORRECTIVE,
    complaints=(),
) -> CorrectiveAction:
    """Open a CAPA for ``owner`` (notified), optionally linked to complaints.

    The owner must be a colleague of the actor and the complaints in their scope
    (``InvalidInput``/``NotPermitted`` otherwise; nothing is written). Writes the
    ``created`` event.
    """
    permissions.require_role(actor, CAPA_CREATORS)
    if not (title or "").strip():
        raise InvalidInput(_("A title is required."), field="title")
    if not (root_cause or "").strip():
        raise InvalidInput(_("Describe the root cause."), field="root_cause")
    if not (action or "").strip():
        raise InvalidInput(_("Describe the action."), field="action")
    if kind not in CorrectiveAction.Kind.values:
        raise InvalidInput(_("Unknown kind."), field="kind")
    # The due date is a local (Asia/Shanghai) date: compare it with the local
    # today, not the UTC date (before 08:00 local they differ by a day).
    if due_date is None or due_date < timezone.localdate(clock.now()):
        raise InvalidInput(_("The due date cannot be in the past."), field="due_date")
    if owner is None or not owner.is_active:
        raise InvalidInput(_("Choose an active owner."), field="owner")
    scoping.require_colleague(actor, owner, field="owner")
    linked = _visible_complaints(actor, complaints)
    capa = CorrectiveAction.objects.create(
        title=title.strip(),
        kind=kind,
        root_cause=root_cause.strip(),
        action=action.strip(),
        owner=owner,
        # ids, not instances: no read of the owner's department and team
        department_id=owner.department_id or (actor.department_id if actor else None),
        team_id=owner.team_id,
        due_date=due_date,
        created_by=actor,
    )
    _link(capa, linked, actor=actor)
    _event(capa, EK.CREATED, actor=actor, data={"complaints": [c.pk for c in linked]})
    if actor is None or owner.pk != actor.pk:
        notify(
            recipient=owner,
            kind="capa_assigned",
            title=_("Corrective action assigned to you: %(title)s")
            % {"title": capa.title},
            body=capa.action,
            key=f"capa:{capa.pk}:assigned:{owner.pk}",
        )
    return capa


@transaction.atomic
def capa_link_complaints(
    *, actor, capa: CorrectiveAction, complaints, version: int | None = None
) -> CorrectiveAction:
    """Link more complaints (in the actor's scope) to a CAPA in their scope.
    One ``linked`` event names the complaints newly linked; none if none is."""
    locked = _lock_capa(capa, version)
    permissions.require_role(actor, CAPA_CREATORS)
    _require_capa_scope(actor, locked)
    if locked.status in (CS.VERIFIED, CS.CANCELLED):
        raise IllegalTransition(_("This corrective action is finished."))
    new = _link(locked, _visible_complaints(actor, complaints), actor=actor)
    if new:
        _event(locked, EK.LINKED, actor=actor, data={"complaints": [c.pk for c in new]})
    return locked


@transaction.atomic
def capa_update(
    *,
    actor,
    capa: CorrectiveAction,
    changes: dict,
    version: int | None = None,
) -> CorrectiveAction:
    """Edit the title, kind, root cause, action or due date (a supervisor or
    manager in scope). Saves only what differs, with one ``updated`` event
    naming the fields (before and after); nothing when nothing differs."""
    locked = _lock_capa(capa, version)
    permissions.require_role(actor, CAPA_VERIFIERS)
    _require_capa_scope(actor, locked)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            _("This cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(unknown)},
            field=unknown[0],
        )
    values = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in changes.items()
    }
    diff = {
        name: value for name, value in values.items() if getattr(locked, name) != value
    }
    if not diff:
        return locked
    for name in ("title", "root_cause", "action"):
        if name in diff and not diff[name]:
            raise InvalidInput(_("This field cannot be empty."), field=name)
    if "kind" in diff and diff["kind"] not in CorrectiveAction.Kind.values:
        raise InvalidInput(_("Unknown kind."), field="kind")
    if "due_date" in diff and (
        diff["due_date"] is None or diff["due_date"] < timezone.localdate(clock.now())
    ):
        raise InvalidInput(_("The due date cannot be in the past."), field="due_date")
    before = {name: _json(getattr(locked, name)) for name in diff}
    for name, value in diff.items():
        setattr(locked, name, value)
    extra = []
    if "due_date" in diff:  # a new due date is reminded and escalated anew
        locked.due_reminded_at = locked.escalated_at = None
        extra = ["due_reminded_at", "escalated_at"]
    locked.version += 1
    locked.save(update_fields=[*sorted(diff), *extra, "version", "updated_at"])
    _event(
        locked,
        EK.UPDATED,
        actor=actor,
        data={
            name: {"from": before[name], "to": _json(getattr(locked, name))}
            for name in diff
        },
    )
    _refresh(capa, locked)
    return locked


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


def _refresh(capa: CorrectiveAction, locked: CorrectiveAction) -> None:
    """The caller's instance shows the saved row."""
    if capa is not locked:
        for field in CorrectiveAction._meta.concrete_fields:
            setattr(capa, field.attname, getattr(locked, field.attname))


@transaction.atomic
def capa_start(*, actor, capa: CorrectiveAction, version: int | None = None):
    """open/ineffective → in progress, by the owner or a lead in scope."""
    locked = _lock_capa(capa, version)
    _require_owner_or_lead(actor, locked)
    from_status = locked.status
    _capa_status(locked, CS.IN_PROGRESS)
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated_at"])
    _event(locked, EK.STARTED, actor=actor, from_status=from_status)
    return locked


def _require_owner_or_lead(actor, capa) -> None:
    if actor is None or actor.pk == capa.owner_id:
        return
    permissions.require_role(actor, CAPA_VERIFIERS)
    _require_capa_scope(actor, capa)


@transaction.atomic
def capa_complete(
    *, actor, capa: CorrectiveAction, note: str, version: int | None = None
) -> CorrectiveAction:
    """The owner (or a lead) reports the action done."""
    locked = _lock_capa(capa, version)
    _require_owner_or_lead(actor, locked)
    if not (note or "").strip():
        raise InvalidInput(_("Describe what was done."), field="note")
    from_status = locked.status
    _capa_status(locked, CS.COMPLETED)
    locked.completion_note = note.strip()
    locked.completed_at = clock.now()
    locked.version += 1
    locked.save(
        update_fields=[
            "status",
            "completion_note",
            "completed_at",
            "version",
            "updated_at",
        ]
    )
    _event(
        locked,
        EK.COMPLETED,
        actor=actor,
        from_status=from_status,
        note=locked.completion_note,
    )
    return locked


@transaction.atomic
def capa_verify(
    *,
    actor,
    capa: CorrectiveAction,
    effective: bool,
    note: str,
    version: int | None = None,
) -> CorrectiveAction:
    """A supervisor or manager other than the owner verifies effectiveness;
    an ineffective action goes back to work (in progress) later."""
    locked = _lock_capa(capa, version)
    permissions.require_role(actor, CAPA_VERIFIERS)
    _require_capa_scope(actor, locked)
    if (
        actor is not None
        and actor.pk == locked.owner_id
        and not (permissions._roles(actor) & {Role.ADMIN})
    ):
        raise NotPermitted(_("The owner cannot verify their own action."))
    if not (note or "").strip():
        raise InvalidInput(_("Describe how effectiveness was checked."), field="note")
    from_status = locked.status
    _capa_status(locked, CS.VERIFIED if effective else CS.INEFFECTIVE)
    locked.verification_note = note.strip()
    locked.verified_by = actor
    locked.verified_at = clock.now()
    locked.version += 1
    locked.save(
        update_fields=[
            "status",
            "verification_note",
            "verified_by",
            "verified_at",
            "version",
            "updated_at",
        ]
    )
    _event(
        locked,
        EK.VERIFIED,
        actor=actor,
        from_status=from_status,
        note=locked.verification_note,
        data={"effective": bool(effective)},
    )
    return locked


@transaction.atomic
def capa_cancel(
    *, actor, capa: CorrectiveAction, note: str, version: int | None = None
) -> CorrectiveAction:
    """A lead in scope cancels an action that is not needed after all (e.g. a
    spike's draft that turned out to be noise), saying why; open, in progress
    and not-effective actions only — completed work is verified instead.
    Cancelled actions leave the overdue sweep and the CAPA indicators."""
    locked = _lock_capa(capa, version)
    permissions.require_role(actor, CAPA_VERIFIERS)
    _require_capa_scope(actor, locked)
    if not (note or "").strip():
        raise InvalidInput(_("Say why the action is not needed."), field="note")
    from_status = locked.status
    _capa_status(locked, CS.CANCELLED)
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated_at"])
    _event(
        locked, EK.CANCELLED, actor=actor, from_status=from_status, note=note.strip()
    )
    return locked


# The transitions people trigger (admin buttons, API actions): name → (the
# status it leads to, its label). "start" from ``ineffective`` is the reopen
# after a verification found the action not effective.
CAPA_ACTIONS: dict[str, tuple[str, str]] = {
    "start": (CS.IN_PROGRESS, gettext_lazy("Start work")),
    "complete": (CS.COMPLETED, gettext_lazy("Report completed")),
    "verify_effective": (CS.VERIFIED, gettext_lazy("Verified: effective")),
    "verify_ineffective": (
        CS.INEFFECTIVE,
        gettext_lazy("Verified: not effective (reopen)"),
    ),
    "cancel": (CS.CANCELLED, gettext_lazy("Cancel: not needed")),
}
# The actions that need a note (what was done; how effectiveness was checked;
# why the action is not needed).
CAPA_NOTE_ACTIONS = frozenset(
    {"complete", "verify_effective", "verify_ineffective", "cancel"}
)


# The actions only a lead (supervisor, manager, administrator) performs.
CAPA_LEAD_ACTIONS = frozenset({"verify_effective", "verify_ineffective", "cancel"})


def capa_actions_for(capa: CorrectiveAction, *, actor=None) -> list[str]:
    """The actions the CAPA's status allows; with ``actor``, without those
    their role never may (the buttons of the admin page; the services still
    check role and scope)."""
    allowed = CAPA_TRANSITIONS[capa.status]
    lead = actor is None or permissions.has_role(actor, CAPA_VERIFIERS)
    return [
        name
        for name, (to_status, _label) in CAPA_ACTIONS.items()
        if to_status in allowed and (lead or name not in CAPA_LEAD_ACTIONS)
    ]


def capa_perform(
    *, actor, capa: CorrectiveAction, action: str, note: str = "", version=None
) -> CorrectiveAction:
    """Run the service of ``action`` (a key of ``CAPA_ACTIONS``)."""
    if action == "start":
        return capa_start(actor=actor, capa=capa, version=version)
    if action == "complete":
        return capa_complete(actor=actor, capa=capa, note=note, version=version)
    if action in ("verify_effective", "verify_ineffective"):
        return capa_verify(
            actor=actor,
            capa=capa,
            effective=action == "verify_effective",
            note=note,
            version=version,
        )
    if action == "cancel":
        return capa_cancel(actor=actor, capa=capa, note=note, version=version)
    raise InvalidInput(_("Unknown action."), field="action")


@transaction.atomic
def capa_attach_evidence(
    *, actor, capa: CorrectiveAction, file, name: str = "", content_type: str = ""
) -> CapaEvidence:
    """Store an evidence file on a CAPA (its owner, or a lead in scope), with
    the limits of complaint attachments (``InvalidInput`` on ``file``, nothing
    stored); not on a verified or cancelled CAPA. Writes the ``evidence`` event."""
    from complaints.services.attachments import checked_upload, storage_name

    locked = _lock_capa(capa, None)
    _require_owner_or_lead(actor, locked)
    if locked.status in (CS.VERIFIED, CS.CANCELLED):
        raise IllegalTransition(_("This corrective action is finished."))
    name, size, sniffed = checked_upload(file, name=name, content_type=content_type)
    evidence = CapaEvidence(
        capa=locked,
        original_name=name,
        content_type=sniffed,
        size=size,
        uploaded_by=actor,
    )
    evidence.file.save(storage_name(name), file, save=False)
    evidence.save()
    _event(
        locked,
        EK.EVIDENCE,
        actor=actor,
        note=name,
        data={"evidence_id": evidence.pk, "size": size, "type": sniffed},
    )
    return evidence
