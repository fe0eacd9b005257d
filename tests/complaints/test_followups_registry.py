"""Complaints' follow-up registry: which app's handler runs at which moment.

Apps above complaints register in their ``AppConfig.ready()`` (complaints never
imports them); the table is pinned here so that a new or lost follow-up is a
visible change.
"""

from types import SimpleNamespace

import pytest

from complaints.services import followups
from tests.factories.complaints import make_complaint


def test_the_registered_follow_ups_are_exactly_these():
    assert followups.registered() == {
        "created": ["partners.followups.complaint_created"],
        "status_changed": [
            "training.followups.coaching_rule",
            "partners.followups.complaint_status_changed",
        ],
        "replied": ["partners.followups.complaint_replied"],
        # aftersales (issue 17): a refund / replacement opens a service order
        "resolved": [
            "aftersales.complaint_followups.complaint_resolved",
            "partners.followups.complaint_resolved",
        ],
        "attribution_changed": ["training.followups.attitude_rule"],
    }


def test_registering_a_handler_twice_runs_it_once(monkeypatch):
    # A complaint that came from no partner: the webhook handler does nothing.
    # The reply's message to the customer is complaints' own step (not a
    # registered handler) and needs a real complaint: left out here.
    monkeypatch.setattr(followups.customer_messages, "queue_reply", lambda **_: None)
    complaint = SimpleNamespace(source_partner_id=None)
    calls = []

    def handler(**arguments):
        calls.append(arguments)

    followups.register(followups.Moment.REPLIED, handler)
    followups.register("replied", handler)
    try:
        followups.on_complaint_replied(complaint=complaint, actor="a", reply="r")
    finally:
        followups.unregister(followups.Moment.REPLIED, handler)
    assert calls == [{"complaint": complaint, "actor": "a", "reply": "r"}]
    assert followups.registered()["replied"] == ["partners.followups.complaint_replied"]


def test_an_unknown_moment_is_refused():
    with pytest.raises(ValueError):
        followups.register("archived", lambda **_: None)


@pytest.mark.django_db
def test_a_handler_runs_in_the_services_transaction(org):
    """A failing follow-up rolls the complaint back: nothing half-done commits."""
    from complaints.models import Complaint

    def refuse(**_arguments):
        raise RuntimeError("follow-up failed")

    followups.register(followups.Moment.CREATED, refuse)
    try:
        with pytest.raises(RuntimeError):
            make_complaint(actor=org.agent_a)
    finally:
        followups.unregister(followups.Moment.CREATED, refuse)
    assert not Complaint.objects.exists()
