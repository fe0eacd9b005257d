"""Factories of the complaints app. Complaints are made through the real
``complaint_receive`` service so that reference, SLA clocks and events exist."""

from __future__ import annotations

import factory

from complaints.models import AssignmentRule, BusinessCalendar, Category, SlaPolicy
from tests.factories.crm import CustomerFactory


def category(code: str = "service_quality") -> Category:
    return Category.objects.get(code=code)


def default_calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.get(is_default=True)


class SubcategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sub-{n}")
    name = factory.Sequence(lambda n: f"子类{n}")
    parent = factory.LazyFunction(lambda: category("service_quality"))


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"policy-{n}")
    name = factory.Sequence(lambda n: f"策略{n}")
    calendar = factory.LazyFunction(default_calendar)
    sort_order = 1


class AssignmentRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentRule

    name = factory.Sequence(lambda n: f"规则{n}")
    auto_assign = True


def make_complaint(*, actor=None, customer=None, **overrides):
    """Receive a complaint through the service; ``overrides`` go to the service."""
    from complaints.services import complaint_receive

    kwargs = {
        "channel": "phone",
        "category": "service_quality",
        "subject": "快件延误三天未送达",
        "description": "客户反映快件已延误三天，物流信息未更新。",
    }
    kwargs.update(overrides)
    return complaint_receive(
        actor=actor, customer=customer or customer_for(actor), **kwargs
    )


def customer_for(actor):
    """A new customer the ``actor`` may file a complaint for (a staff member files
    only for customers in their scope): of their department, and their own when
    they are an account manager (who sees only their own customers)."""
    from crm.scoping import has_role

    if actor is None:
        return CustomerFactory()
    if has_role(actor, "account_manager"):
        return CustomerFactory(owner=actor)
    return CustomerFactory(department=actor.department)


def walk(complaint, to_status: str, *, actor):
    """Move ``complaint`` through the services to ``to_status`` (the usual path).

    ``actor`` must be allowed to do every step (an admin or the team supervisor).
    """
    from complaints import services as s

    path = {
        "received": [],
        "analyzing": ["analyze"],
        "handling": ["analyze", "handle"],
        "replied": ["analyze", "handle", "reply"],
        "resolved": ["analyze", "handle", "reply", "resolve"],
        "closed": ["analyze", "handle", "reply", "resolve", "close"],
        "reopened": ["analyze", "handle", "reply", "resolve", "reopen"],
        "on_hold": ["hold"],
        "rejected": ["reject"],
    }[to_status]
    steps = {
        "analyze": lambda c: s.complaint_record_analysis(
            actor=actor,
            complaint=s.complaint_start_analysis(actor=actor, complaint=c),
            cause_hypothesis="派送员未按约定时间派送",
            cause_type="staff_error",
        ),
        "handle": lambda c: s.complaint_start_handling(actor=actor, complaint=c),
        "reply": lambda c: s.complaint_reply(
            actor=actor,
            complaint=c,
            body="您好，感谢您的反馈。已为您加急派送，我们会再次与您联系确认。",
        ),
        "resolve": lambda c: s.complaint_resolve(
            actor=actor, complaint=c, resolution_type="redelivery"
        ),
        # a service-quality complaint of a staff error: closing needs the root cause
        "close": lambda c: s.complaint_close(
            actor=actor, complaint=c, root_cause="派送员未经培训上岗"
        ),
        "reopen": lambda c: s.complaint_reopen(
            actor=actor, complaint=c, reason="客户对处理结果不满意"
        ),
        "hold": lambda c: s.complaint_hold(
            actor=actor, complaint=c, reason="等待客户提供照片"
        ),
        "reject": lambda c: s.complaint_reject(
            actor=actor, complaint=c, reason="重复投诉"
        ),
    }
    for step in path:
        complaint = steps[step](complaint)
    return complaint
