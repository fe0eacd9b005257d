"""The CAPA workflow per role and scope: start, complete, verify effective and
verify not effective (→ back to work with ``capa_start``). Each allowed call
writes exactly one CapaEvent with the status before and after; a refused one
changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services as s
from complaints.models import CapaEvent, CorrectiveAction
from complaints.services.capa import CAPA_TRANSITIONS
from config.errors import IllegalTransition, NotPermitted

pytestmark = pytest.mark.django_db
CS = CorrectiveAction.Status
EK = CapaEvent.Kind


def _capa(org, status=CS.OPEN):
    """A CAPA of team A owned by its complaint handler, brought to ``status``."""
    capa = s.capa_create(
        actor=org.supervisor_a,
        title="派送员服务礼仪整改",
        root_cause="派送员未经礼仪培训上岗",
        action="全员参加礼仪培训并抽查",
        owner=org.complaint_handler_a,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    owner = org.complaint_handler_a
    if status in (CS.IN_PROGRESS, CS.COMPLETED, CS.INEFFECTIVE):
        capa = s.capa_start(actor=owner, capa=capa)
    if status in (CS.COMPLETED, CS.INEFFECTIVE):
        capa = s.capa_complete(actor=owner, capa=capa, note="已完成")
    if status == CS.INEFFECTIVE:
        capa = s.capa_verify(
            actor=org.manager_a, capa=capa, effective=False, note="无效"
        )
    return capa


# transition: (status before, the call, status after, event kind)
TRANSITIONS = {
    "start": (
        CS.OPEN,
        lambda a, c: s.capa_start(actor=a, capa=c),
        CS.IN_PROGRESS,
        EK.STARTED,
    ),
    "reopen": (
        CS.INEFFECTIVE,
        lambda a, c: s.capa_start(actor=a, capa=c),
        CS.IN_PROGRESS,
        EK.STARTED,
    ),
    "complete": (
        CS.IN_PROGRESS,
        lambda a, c: s.capa_complete(actor=a, capa=c, note="已培训"),
        CS.COMPLETED,
        EK.COMPLETED,
    ),
    "verify_effective": (
        CS.COMPLETED,
        lambda a, c: s.capa_verify(actor=a, capa=c, effective=True, note="有效"),
        CS.VERIFIED,
        EK.VERIFIED,
    ),
    "verify_ineffective": (
        CS.COMPLETED,
        lambda a, c: s.capa_verify(actor=a, capa=c, effective=False, note="仍有投诉"),
        CS.INEFFECTIVE,
        EK.VERIFIED,
    ),
    # a lead cancels an action that is not needed (open, in progress, not effective)
    **{
        f"cancel_{status}": (
            status,
            lambda a, c: s.capa_cancel(actor=a, capa=c, note="突增系误报，无需整改"),
            CS.CANCELLED,
            EK.CANCELLED,
        )
        for status in (CS.OPEN, CS.IN_PROGRESS, CS.INEFFECTIVE)
    },
}
CANCELS = {"cancel_open", "cancel_in_progress", "cancel_ineffective"}

# who may: the owner starts and completes (never verifies their own work); the
# leads of the CAPA's team/department and administrators do everything; other
# roles and leads of department B nothing.
ALLOWED = {
    "admin": {
        "start",
        "reopen",
        "complete",
        "verify_effective",
        "verify_ineffective",
        *CANCELS,
    },
    "manager_a": {
        "start",
        "reopen",
        "complete",
        "verify_effective",
        "verify_ineffective",
        *CANCELS,
    },
    "supervisor_a": {
        "start",
        "reopen",
        "complete",
        "verify_effective",
        "verify_ineffective",
        *CANCELS,
    },
    "complaint_handler_a": {"start", "reopen", "complete"},
    "agent_a": set(),
    "qa_inspector_a": set(),
    "account_manager_a": set(),
    "manager_b": set(),
    "supervisor_b": set(),
    "complaint_handler_b": set(),
}


def _state(capa):
    return (
        CorrectiveAction.objects.filter(pk=capa.pk).values().get(),
        list(CapaEvent.objects.filter(capa=capa).values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("transition", list(TRANSITIONS))
@pytest.mark.parametrize("who", list(ALLOWED))
def test_each_transition_per_role_and_scope(org, transition, who):
    before_status, call, after_status, kind = TRANSITIONS[transition]
    capa = _capa(org, before_status)
    actor = getattr(org, who)
    before = _state(capa)
    if transition in ALLOWED[who]:
        done = call(actor, capa)
        assert done.status == after_status
        row = CorrectiveAction.objects.get(pk=capa.pk)
        assert row.status == after_status
        assert row.version == before[0]["version"] + 1
        new = CapaEvent.objects.filter(capa=capa).exclude(pk__in=before[1])
        assert list(new.values_list("kind", "actor", "from_status", "to_status")) == [
            (kind, actor.pk, before_status, after_status)
        ]
        if transition in CANCELS:
            assert new.get().note == "突增系误报，无需整改"
        if transition.startswith("verify"):
            assert new.get().data == {"effective": transition == "verify_effective"}
            assert row.verified_by_id == actor.pk
    else:
        with pytest.raises(NotPermitted):
            call(actor, capa)
        assert _state(capa) == before


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (CS.OPEN, {"verify_effective", "verify_ineffective"}),
        (CS.IN_PROGRESS, {"start", "verify_effective", "verify_ineffective"}),
        (CS.COMPLETED, {"start", "complete", *CANCELS}),
        (CS.VERIFIED, set(TRANSITIONS)),
        (CS.CANCELLED, set(TRANSITIONS)),
    ],
)
def test_the_transition_table_refuses_the_rest(org, status, refused):
    capa = _capa(org, CS.COMPLETED if status == CS.VERIFIED else status)
    if status == CS.VERIFIED:
        capa = s.capa_verify(actor=org.manager_a, capa=capa, effective=True, note="好")
    if status == CS.CANCELLED:
        capa = s.capa_cancel(actor=org.manager_a, capa=capa, note="无需整改")
    before = _state(capa)
    for name in refused - {"reopen"}:
        with pytest.raises(IllegalTransition):
            TRANSITIONS[name][1](org.manager_a, capa)
        assert _state(capa) == before, name
    assert CAPA_TRANSITIONS[CS.VERIFIED] == frozenset()
    assert CAPA_TRANSITIONS[CS.CANCELLED] == frozenset()
    assert CS.IN_PROGRESS in CAPA_TRANSITIONS[CS.INEFFECTIVE]


def test_cancelling_needs_the_reason(org):
    from config.errors import InvalidInput

    capa = _capa(org)
    before = _state(capa)
    with pytest.raises(InvalidInput) as refused:
        s.capa_cancel(actor=org.manager_a, capa=capa, note="  ")
    assert refused.value.field == "note"
    assert _state(capa) == before
