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
        actor=actor, customer=customer or CustomerFactory(), **kwargs
    )
