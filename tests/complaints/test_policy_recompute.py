"""DESIGN §1: due times are recomputed when the policy changes — an admin's
edit of a policy reaches the open complaints under it (overridden clocks and
closed complaints excepted)."""

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from complaints import services as s
from complaints.models import Category, ImmutableRowError, SlaPolicy, SlaPolicyChange
from complaints.services import clock
from complaints.services.policies import sla_policy_recompute
from config.errors import InvalidInput, NotPermitted
from tests.factories.complaints import make_complaint, walk

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def t(*args):
    return datetime(*args, tzinfo=SH)


def test_edited_policy_recomputes_open_complaints(org):
    with clock.at(t(2026, 11, 24, 10, 0)):  # Tuesday, standard policy
        open_one = make_complaint(actor=org.agent_a)
        overridden = make_complaint(actor=org.agent_a)
        closed = walk(make_complaint(actor=org.agent_a), "closed", actor=org.admin)
    with clock.at(t(2026, 11, 24, 10, 5)):
        overridden = s.complaint_override_due(
            actor=org.manager_a,
            complaint=overridden,
            kind="first_response",
            due_at=t(2026, 11, 24, 17, 0),
            reason="约定下午回电",
        )
    closed_version = closed.version
    policy = SlaPolicy.objects.get(code="standard")
    policy.first_response_minutes = 60
    policy.reply_minutes = 24 * 60
    policy.save()

    with clock.at(t(2026, 11, 24, 10, 10)):
        assert sla_policy_recompute(policy_id=policy.pk, actor=org.manager_a) == 2
    open_one.refresh_from_db()
    overridden.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.first_response_due_at == t(2026, 11, 24, 11, 0)
    assert open_one.reply_due_at == t(2026, 11, 25, 10, 0)
    assert open_one.events.filter(kind="sla_recomputed").exists()
    # the manager's override stays; its other clocks move
    assert overridden.first_response_due_at == t(2026, 11, 24, 17, 0)
    assert overridden.reply_due_at == t(2026, 11, 25, 10, 0)
    assert closed.version == closed_version
    # again: same due times
    sla_policy_recompute(policy_id=policy.pk)
    open_one.refresh_from_db()
    assert open_one.first_response_due_at == t(2026, 11, 24, 11, 0)


def test_deactivated_policy_hands_complaints_to_the_next_match(org):
    with clock.at(t(2026, 11, 24, 10, 0)):
        complaint = make_complaint(actor=org.agent_a, severity="high")
    assert complaint.sla_policy.code == "high"
    high = SlaPolicy.objects.get(code="high")
    high.is_active = False
    high.save()
    with clock.at(t(2026, 11, 24, 10, 1)):
        sla_policy_recompute(policy_id=high.pk)
    complaint.refresh_from_db()
    assert complaint.sla_policy.code == "standard"


def test_admin_edit_enqueues_the_recompute(
    org, client, django_capture_on_commit_callbacks
):
    policy = SlaPolicy.objects.get(code="standard")
    client.force_login(org.manager_a)
    url = reverse("admin:complaints_slapolicy_change", args=[policy.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "code": policy.code,
        "name": policy.name,
        "channel": "",
        "severity": "",
        "category": "",
        "calendar": policy.calendar_id or "",
        "first_response_minutes": 45,
        "analysis_minutes": policy.analysis_minutes,
        "reply_minutes": policy.reply_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "confirmation_minutes": policy.confirmation_minutes,
        "elapsed_targets": ["reply", "confirmation"],
        "warn_percent": policy.warn_percent,
        "sort_order": policy.sort_order,
        "is_active": "on",
    }
    with (
        mock.patch("complaints.tasks.sla_policy_recompute.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.first_response_minutes == 45
    assert policy.elapsed_targets == ["reply", "confirmation"]
    delay.assert_called_once_with(policy.pk, org.manager_a.pk)
    change = SlaPolicyChange.objects.get(policy=policy)
    assert change.actor == org.manager_a and change.recompute is True
    assert change.changes["first_response_minutes"]["to"] == 45


# --- sla_policy_update: the edit saved, recorded, and applied on commit -------


def test_a_timing_edit_is_recorded_and_enqueues_the_recompute(
    org, django_capture_on_commit_callbacks, django_assert_num_queries
):
    policy = SlaPolicy.objects.get(code="standard")
    before = policy.first_response_minutes

    # savepoint, the actor's roles, lock, update, change row, release
    with (
        mock.patch("complaints.tasks.sla_policy_recompute.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_num_queries(6),
    ):
        change = s.sla_policy_update(
            actor=org.manager_a,
            policy=policy,
            changes={"first_response_minutes": 45, "name": policy.name},
        )

    assert change.changes == {"first_response_minutes": {"from": before, "to": 45}}
    assert change.recompute is True and change.actor == org.manager_a
    assert change.policy == policy and change.policy_code == "standard"
    assert policy.first_response_minutes == 45  # the caller's instance too
    assert SlaPolicy.objects.get(pk=policy.pk).first_response_minutes == 45
    assert len(callbacks) == 1
    delay.assert_called_once_with(policy.pk, org.manager_a.pk)


def test_a_rename_is_recorded_without_a_recompute(
    org, django_capture_on_commit_callbacks
):
    policy = SlaPolicy.objects.get(code="standard")
    category = Category.objects.get(code="attitude")

    with (
        mock.patch("complaints.tasks.sla_policy_recompute.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        renamed = s.sla_policy_update(
            actor=org.admin, policy=policy, changes={"name": "标准", "sort_order": 7}
        )
        narrowed = s.sla_policy_update(
            actor=org.admin, policy=policy, changes={"category": category}
        )

    assert renamed.recompute is False
    assert set(renamed.changes) == {"name", "sort_order"}
    assert narrowed.recompute is True
    assert narrowed.changes == {"category": {"from": None, "to": category.pk}}
    delay.assert_called_once_with(policy.pk, org.admin.pk)
    assert list(policy.changes.order_by("pk")) == [renamed, narrowed]


def test_nothing_differs_nothing_is_written(org):
    policy = SlaPolicy.objects.get(code="standard")
    same = {"reply_minutes": policy.reply_minutes, "is_active": True}

    assert s.sla_policy_update(actor=org.manager_a, policy=policy, changes=same) is None
    assert not SlaPolicyChange.objects.exists()


@pytest.mark.parametrize(
    ("who", "changes", "error", "field"),
    [
        ("supervisor_a", {"reply_minutes": 60}, NotPermitted, None),
        ("manager_a", {"pk": 99}, InvalidInput, "pk"),
        ("manager_a", {"warn_percent": 100}, InvalidInput, "warn_percent"),
        ("manager_a", {"code": "high"}, InvalidInput, "code"),
    ],
)
def test_refused_edits_change_nothing(org, who, changes, error, field):
    policy = SlaPolicy.objects.get(code="standard")
    stored = SlaPolicy.objects.filter(pk=policy.pk).values().get()

    with (
        mock.patch("complaints.tasks.sla_policy_recompute.delay") as delay,
        pytest.raises(error) as refused,
    ):
        s.sla_policy_update(actor=getattr(org, who), policy=policy, changes=changes)

    assert refused.value.field == field
    assert SlaPolicy.objects.filter(pk=policy.pk).values().get() == stored
    assert not SlaPolicyChange.objects.exists()
    delay.assert_not_called()


def test_changes_are_append_only(org):
    policy = SlaPolicy.objects.get(code="standard")
    change = s.sla_policy_update(
        actor=org.manager_a, policy=policy, changes={"name": "标准"}
    )

    with pytest.raises(ImmutableRowError):
        change.save()
    with pytest.raises(ImmutableRowError):
        change.delete()
    with pytest.raises(ImmutableRowError):
        SlaPolicyChange.objects.filter(pk=change.pk).update(recompute=True)
    with pytest.raises(ImmutableRowError):
        SlaPolicyChange.objects.all().delete()


def test_the_admin_shows_the_change_log(org, client):
    policy = SlaPolicy.objects.get(code="standard")
    s.sla_policy_update(
        actor=org.manager_a, policy=policy, changes={"reply_minutes": 1440}
    )
    client.force_login(org.manager_a)

    page = client.get(reverse("admin:complaints_slapolicy_change", args=[policy.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "reply_minutes" in html and "1440" in html
    assert 'name="changes-0-changes"' not in html  # read-only
