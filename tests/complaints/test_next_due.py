"""``Complaint.next_due_at``: the work list's order, a stored generated column.

The database computes it from the due and met fields on every write, so it is
right after every service path and after writes that bypass the services
(``QuerySet.update``, bulk loads). Here it is checked against the workspace's
own rule (``complaints.workspace.next_due``) after a day of mixed work, and the
admin list is checked to be ordered by it.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from complaints import services as s
from complaints import workspace
from complaints.models import Complaint
from complaints.models.complaint import NEVER_DUE
from complaints.services import clock
from complaints.services.sweep import sla_sweep
from tests.factories.complaints import make_complaint, walk

SH = ZoneInfo("Asia/Shanghai")
FINAL = ("closed", "rejected")
CLOCKS = ("first_response", "analysis", "reply", "resolution", "confirmation")


def t(*args):
    return datetime(*args, tzinfo=SH)


def assert_matches_the_workspace(pks) -> None:
    for complaint in Complaint.objects.filter(pk__in=pks):
        if complaint.status in FINAL:
            continue  # not on the work list (the index leaves them out)
        found = workspace.next_due(complaint, now=t(2026, 11, 24, 9, 0))
        expected = found.due if found else NEVER_DUE
        assert complaint.next_due_at == expected, (complaint.status, complaint.pk)


@pytest.fixture
def day(org):
    """Complaints through intake, hold, reply, analysis, resolve, reopen and
    reject, with sweeps in between."""
    with clock.at(t(2026, 11, 24, 9, 0)):
        made = [make_complaint(actor=org.agent_a) for _ in range(6)]
    sla_sweep(now=t(2026, 11, 24, 9, 25))
    with clock.at(t(2026, 11, 24, 9, 26)):
        s.complaint_hold(actor=org.agent_a, complaint=made[1], reason="等待客户")
        s.complaint_reply(actor=org.agent_a, complaint=made[2], body="您好，已收到")
        resolved = walk(made[3], "resolved", actor=org.supervisor_a)
        s.complaint_reject(actor=org.supervisor_a, complaint=made[4], reason="重复")
    with clock.at(t(2026, 11, 24, 11, 0)):
        s.complaint_reopen(actor=org.supervisor_a, complaint=resolved, reason="未解决")
    sla_sweep(now=t(2026, 11, 24, 13, 0))
    return made


def test_every_open_complaint_equals_the_workspace_rule(day):
    pks = [c.pk for c in day]
    assert_matches_the_workspace(pks)
    rows = dict(Complaint.objects.filter(pk__in=pks).values_list("pk", "next_due_at"))
    # the one just received waits for its first response
    fresh = Complaint.objects.get(pk=day[0].pk)
    assert rows[fresh.pk] == fresh.first_response_due_at
    # the replied one's first response is met: a later clock is next
    replied = Complaint.objects.get(pk=day[2].pk)
    assert replied.first_response_at is not None
    assert rows[replied.pk] > replied.first_response_due_at


def test_a_write_that_bypasses_the_services_moves_it_too(day):
    target = day[0]
    due = t(2026, 11, 24, 9, 10)  # before every other clock of it
    Complaint.objects.filter(pk=target.pk).update(first_response_due_at=due)
    assert Complaint.objects.get(pk=target.pk).next_due_at == due
    Complaint.objects.filter(pk=target.pk).update(
        first_response_at=due,
        analysis_due_at=None,
        reply_due_at=None,
        resolution_due_at=None,
        confirmation_due_at=None,
    )
    assert Complaint.objects.get(pk=target.pk).next_due_at == NEVER_DUE
    assert_matches_the_workspace([c.pk for c in day])


def test_the_admin_work_list_is_ordered_by_it(client, org, day):
    # an old complaint whose clock falls due last: the order is by due, not age
    with clock.at(t(2026, 11, 20, 9, 0)):
        old = make_complaint(actor=org.agent_a)
    far = t(2027, 1, 30, 9, 0)
    Complaint.objects.filter(pk=old.pk).update(
        **{f"{clock_}_due_at": far for clock_ in CLOCKS}
    )
    client.force_login(org.admin)
    page = client.get(reverse("admin:complaints_complaint_changelist"))
    cl = page.context["cl"]
    rows = list(cl.result_list)
    # the headers say so: the SLA column sorted first, the received time next
    columns = list(cl.list_display)
    assert cl.get_ordering_field_columns() == {
        columns.index("sla_state"): "asc",
        columns.index("received"): "desc",
    }
    dues = [c.next_due_at for c in rows]
    assert dues == sorted(dues)
    assert len(rows) == 6  # five of the day's still open, and the old one
    assert rows[-1].pk == old.pk
    assert dues[-1] == far
    assert {c.status for c in rows}.isdisjoint(FINAL)
