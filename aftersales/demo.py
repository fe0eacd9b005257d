"""Demo data of the after-sales desk (``manage.py seed_demo``; idempotent).

The default policy windows (7-day no-reason returns, 15-day exchanges for a
quality problem, 12 months' warranty; large appliances 36), four technicians
(售后工程师, logins ``tech01``…``tech04``) with a week of slots, and service
orders of every kind in every status they reach, walked through the services
— among them a return refused by the 7-day window.
"""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from aftersales import services
from aftersales.models import (
    VISIT_KINDS,
    AppointmentSlot,
    ReturnPolicy,
    ServiceKind,
    ServiceOrder,
    Technician,
)
from aftersales.services import reminders
from config.errors import DomainError
from crm.demo import DEMO_PASSWORD, person_name
from crm.models import Customer, Team, User
from crm.roles import Role

S = ServiceOrder.Status
POLICIES = (
    ("", ServiceKind.RETURN, {"window_days": 7, "description": "7天无理由退货"}),
    (
        "",
        ServiceKind.EXCHANGE,
        {
            "window_days": 15,
            "quality_problem_required": True,
            "description": "15天内质量问题换货",
        },
    ),
    ("", ServiceKind.REPAIR, {"warranty_months": 12, "description": "整机保修一年"}),
    (
        "appliance",
        ServiceKind.REPAIR,
        {"warranty_months": 36, "description": "大家电整机保修三年"},
    ),
)
AREAS = ("浦东新区", "徐汇区", "闵行区", "杭州西湖区")
PRODUCTS = (
    ("扫地机器人 X1", "robot"),
    ("滚筒洗衣机 10kg", "appliance"),
    ("空气净化器 A3", "small_appliance"),
    ("智能门锁 L7", "smart_home"),
)
# The statuses an order of each kind is walked to.
VISIT_PATH = (
    S.REQUESTED,
    S.APPROVED,
    S.SCHEDULED,
    S.IN_PROGRESS,
    S.INSPECTED,
    S.COMPLETED,
)
PLAIN_PATH = (S.REQUESTED, S.APPROVED, S.IN_PROGRESS, S.INSPECTED, S.COMPLETED)


def seed(ctx) -> None:
    for category, kind, values in POLICIES:
        ReturnPolicy.objects.get_or_create(
            product_category=category, kind=kind, defaults=values
        )
    technicians = _technicians(ctx)
    _slots(technicians)
    if ServiceOrder.objects.filter(created_by__username="admin").exists():
        ctx.say(f"  aftersales: {ServiceOrder.objects.count()} orders already there")
        return
    actor = User.objects.filter(username="admin").first()
    customers = list(Customer.objects.filter(is_anonymised=False).order_by("pk")[:60])
    if actor is None or not customers:
        ctx.say("  aftersales: no administrator or customers, skipped")
        return
    made = 0
    with transaction.atomic():
        for index, kind in enumerate(ServiceKind):
            path = VISIT_PATH if kind in VISIT_KINDS else PLAIN_PATH
            targets = (*path, S.REFUSED, S.CANCELLED)
            for number, target in enumerate(targets):
                customer = customers[(index * 10 + number) % len(customers)]
                made += _order(actor, customer, kind, target, number, technicians)
        made += _refused_by_the_window(actor, customers[-1])
    # the day-before sweep: tomorrow's visits remind their technician and queue
    # the customer's text (pending until a worker sends it)
    reminded = reminders.visit_reminders_send()
    ctx.say(
        f"  aftersales: {len(technicians)} technicians, {made} service orders, "
        f"{reminded} visits of tomorrow reminded"
    )


def _technicians(ctx) -> list[Technician]:
    password = make_password(DEMO_PASSWORD)
    group = Group.objects.get(name=Role.TECHNICIAN)
    teams = list(Team.objects.select_related("department").order_by("pk")[:2])
    rng = random.Random(ctx.seed + 17)
    technicians = []
    for i in range(4):
        username = f"tech{i + 1:02d}"
        team = teams[i % len(teams)] if teams else None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "name": person_name(rng),
                "employee_no": f"KT{i + 1:04d}",
                "email": f"{username}@kefu.example.cn",
                "is_staff": True,
                "password": password,
                "team": team,
                "department": team.department if team else None,
            },
        )
        if created:
            user.groups.add(group)
        tech, _created = Technician.objects.get_or_create(
            user=user,
            defaults={
                "department": user.department,
                "skills": [k.value for k in VISIT_KINDS],
                "areas": [AREAS[i], AREAS[(i + 1) % len(AREAS)]],
            },
        )
        technicians.append(tech)
        ctx.logins.append((username, Role.TECHNICIAN.value, user.name))
    return technicians


def _slots(technicians) -> None:
    """A full week from today: mornings repairs, afternoons installations and
    maintenance visits, three visits each."""
    today = timezone.localdate()
    for tech in technicians:
        for day in range(7):
            date = today + timedelta(days=day)
            for start, end, kind in (
                (9, 12, ServiceKind.REPAIR),
                (13, 15, ServiceKind.INSTALLATION),
                (15, 17, ServiceKind.MAINTENANCE),
            ):
                AppointmentSlot.objects.get_or_create(
                    technician=tech,
                    date=date,
                    start=time(start),
                    defaults={
                        "end": time(end),
                        "area": tech.areas[0],
                        "kind": kind,
                        "capacity": 3,
                    },
                )


def _order(actor, customer, kind, target, number, technicians) -> int:
    product, category = PRODUCTS[number % len(PRODUCTS)]
    today = timezone.localdate()
    order = services.order_create(
        actor=actor,
        kind=kind,
        customer=customer,
        product_name=product,
        product_category=category,
        serial_number=f"SN{today:%y%m}{number:05d}",
        order_number=f"JD{today:%Y%m%d}{number:04d}",
        purchase_date=today - timedelta(days=3),
        quality_problem=True,
        reason="客户反映产品异常，申请售后服务",
    )
    if target == S.REQUESTED:
        return 1
    if target in (S.REFUSED, S.CANCELLED):
        services.order_transition(
            actor=actor, order=order, to_status=target, note="客户已自行处理，无需售后"
        )
        return 1
    order = services.order_transition(actor=actor, order=order, to_status=S.APPROVED)
    if target == S.APPROVED:
        return 1
    if kind in VISIT_KINDS:
        slots = services.free_slots(kind=kind).filter(technician__in=technicians)
        if target == S.SCHEDULED:  # tomorrow's visit: its reminders are queued
            slots = slots.filter(date=today + timedelta(days=1))
        slot = slots.first()
        services.appointment_book(actor=actor, order=order, slot=slot)
        order.refresh_from_db()
        if target == S.SCHEDULED:
            return 1
        order = services.order_check_in(actor=actor, order=order)
    else:
        order = services.order_transition(
            actor=actor, order=order, to_status=S.IN_PROGRESS, note="已收到退回商品"
        )
    if target == S.IN_PROGRESS:
        return 1
    order = services.order_transition(
        actor=actor, order=order, to_status=S.INSPECTED, note="检测确认为质量问题"
    )
    if target == S.INSPECTED:
        return 1
    if order.checked_in_at:
        order = services.order_check_out(
            actor=actor, order=order, first_time_fix=number % 2 == 1
        )
    services.order_complete(
        actor=actor,
        order=order,
        outcome="已处理完毕，客户确认满意",
        parts_cost="86.00" if kind == ServiceKind.REPAIR else "0",
        labour_cost="60.00" if kind in VISIT_KINDS else "0",
        logistics_cost="12.00",
        customer_confirmed=True,
    )
    return 1


def _refused_by_the_window(actor, customer) -> int:
    """A return asked for 20 days after purchase: the 7-day window refuses it;
    the desk registers it for the supervisor (override with a reason), who
    refuses it with the policy's answer."""
    late = timezone.localdate() - timedelta(days=20)
    request = {
        "kind": ServiceKind.RETURN,
        "customer": customer,
        "product_name": "蓝牙耳机 B2",
        "purchase_date": late,
        "reason": "不想要了，申请无理由退货",
    }
    try:
        services.order_create(actor=actor, **request)
    except DomainError as refusal:
        answer = refusal.message
    else:  # the window changed: nothing to show
        return 0
    order = services.order_create(
        actor=actor, override_reason="客户坚持退货，转主管复核", **request
    )
    services.order_transition(
        actor=actor, order=order, to_status=S.REFUSED, note=f"主管复核：{answer}"
    )
    return 1
