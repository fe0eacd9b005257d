"""Demo complaints for ``seed_demo`` (express delivery, in Chinese).

``seed(ctx)`` creates ``ctx.complaints`` complaints received over the last 12
months in the category and channel mix of DESIGN §1. Each complaint follows a
planned timeline (first response, analysis, handling, reply, resolution,
confirmation, survey, close; sometimes hold, rejection or reopening) cut off at
"now", so recent ones are still open and some are late.

The most recent ``SERVICE_LIMIT`` complaints are moved through the lifecycle by
the real services at their historical instants (``clock.at``), so their events,
SLA clocks and surveys are exactly what production would record. Older ones —
and everything beyond the limit, up to 1,000,000 — are bulk inserted with the
same plan and precomputed fields (references, due times in business time,
met/breach times, business durations, SLA targets, surveys, a created and a
final status event), which is fast enough for a million rows.

Deterministic for a given ``--seed``; a second run adds nothing when the
complaints are already there.
"""

from __future__ import annotations

import logging
import multiprocessing
import random
import re
import time
import traceback
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from queue import Empty

from django.db import connection, models, transaction
from django.utils import timezone

from complaints import services
from complaints.business_time import schedule_for_policy
from complaints.channels import ChannelError
from complaints.demo_knowledge import seed_articles
from complaints.demo_revisits import ConfirmationRevisits, seed_complaint_revisits
from complaints.demo_writer import RowWriter
from complaints.models import (
    AssignmentRule,
    Category,
    Complaint,
    ComplaintEvent,
    CustomerMessage,
    ReferenceCounter,
    SatisfactionSurvey,
    SlaTarget,
)
from complaints.services import clock
from complaints.services.common import OPEN_STATUSES
from complaints.services.load import agent_load_recount
from complaints.services.reference import format_reference
from complaints.services.sla import (
    TARGET_FIELDS,
    policy_for,
    schedule_for_kind,
)
from complaints.services.sweep import sla_sweep
from config.errors import DomainError
from crm.models import Customer, PartnerOrganisation, Revisit, User
from crm.roles import Role

SERVICE_LIMIT = 300
BATCH = 5000

CATEGORY_MIX = [
    ("service_quality", 62),
    ("attitude", 29),
    ("process", 10),
    ("product", 6),
    ("other", 1),
]
CHANNEL_MIX = [
    ("phone", 46),
    ("online", 32),
    ("onsite", 12),
    ("email", 3),
    ("social", 3),
    ("letter", 1),
    ("api", 3),
]
SEVERITY_MIX = [("urgent", 4), ("high", 16), ("normal", 65), ("low", 15)]
CSAT_MIX = [(5, 45), (4, 30), (3, 12), (2, 8), (1, 5)]

# subcategory code (or category code) -> (subject, description, desired resolution)
TEXTS = {
    "lost": (
        "快件显示签收但本人未收到",
        "客户反映快件物流显示已签收，但本人及家人均未收到，联系派送网点无果。",
        "尽快找回快件，找不回按保价赔偿",
    ),
    "damaged": (
        "快件外包装破损，内物损坏",
        "客户签收时发现外箱严重变形，内装陶瓷餐具碎裂，已拍照留存。",
        "按实际价值赔偿",
    ),
    "late": (
        "快件延误超过三天未送达",
        "物流信息三天未更新，客户急需该物品用于工作，多次查询无答复。",
        "尽快派送并说明延误原因",
    ),
    "stolen": (
        "签收后发现内件短少",
        "客户签收后开箱发现少了两件商品，外包装有二次封箱痕迹。",
        "补发缺少的商品或赔偿",
    ),
    "wrong_address": (
        "快件被错派到其他小区",
        "快递员将快件投递至错误地址，客户本人联系快递员未果。",
        "尽快改派到正确地址",
    ),
    "rude_courier": (
        "快递员态度恶劣",
        "客户反映快递员电话中语气粗鲁，拒绝沟通派送时间，并挂断电话。",
        "快递员当面道歉，加强管理",
    ),
    "attitude": (
        "客服人员服务态度差",
        "客户致电客服热线时，客服人员不耐烦、多次打断客户陈述。",
        "客服人员道歉并改进服务",
    ),
    "refused_door_delivery": (
        "快递员拒绝送货上门",
        "快递员未经客户同意将快件放至驿站，客户要求送货上门被拒绝。",
        "按约定送货上门",
    ),
    "refund_slow": (
        "理赔款迟迟未到账",
        "理赔申请审核通过已两周，款项仍未到账，客户多次催问。",
        "尽快退款到账",
    ),
    "goods_defect": (
        "代收商品存在质量问题",
        "客户开箱后发现商品无法开机，要求协助联系商家处理。",
        "换货或退款",
    ),
    "other": (
        "网点营业时间调整未通知",
        "客户到网点取件时发现营业时间已调整，此前未收到任何通知。",
        "改进通知方式",
    ),
}
SUBCATEGORIES = {
    "service_quality": ["lost", "damaged", "late", "stolen", "wrong_address"],
    "attitude": ["rude_courier", None],
    "process": ["refused_door_delivery", "refund_slow"],
    "product": ["goods_defect"],
    "other": [None],
}
REPLIES = [
    "您好，您反映的问题我们已经受理，正在核实情况，请您耐心等待。",
    "您好，非常抱歉给您带来不便，我们已联系派送网点加急处理。",
]
SOLUTIONS = {
    "apology": "已对相关人员进行批评教育，并向您致以诚挚歉意，感谢您的监督。",
    "explanation": "经核实，延误系中转站天气原因所致，已为您加急处理，感谢理解。",
    "compensation": "经核实责任在我方，已按规定为您办理赔偿，请注意查收。",
    "refund": "已为您办理退款，预计1–3个工作日到账，感谢您的耐心。",
    "replacement": "已协调商家为您补发/换货，新快件单号已短信发送给您。",
    "redelivery": "已安排快递员今日重新派送上门，感谢您的反馈。",
    "process_fix": "我们已调整网点派送流程，避免类似问题再次发生，感谢您的建议。",
}
# The solution reply of each resolution (handling → replied): thanks, the
# solution and the follow-up, as the seeds' process (and the reply check,
# complaints.phrases.REPLY_PARTS) require.
SOLUTION_REPLIES = {
    "apology": "感谢您的监督与反馈。我们已对相关人员进行批评教育，并向您郑重致歉。"
    "我们会在 24 小时内回访，确认您对处理结果是否满意。",
    "explanation": "感谢您的理解与耐心。经核实，延误系中转站天气原因所致，已为您加急处理。"
    "我们会跟进派送进度，并再次与您联系确认。",
    "compensation": "感谢您的反馈。经核实责任在我方，已为您办理赔偿，请注意查收。"
    "到账后我们会回访确认。",
    "refund": "感谢您的耐心等待。已为您办理退款，预计 1–3 个工作日到账。"
    "我们会跟进到账情况，并再次与您联系确认。",
    "replacement": "感谢您的反馈。已协调商家为您补发/换货，新快件单号已短信发送给您。"
    "签收后我们会回访确认商品无误。",
    "redelivery": "感谢您的反馈。已为您安排快递员今日重新派送上门。"
    "送达后我们会再次与您联系确认。",
    "process_fix": "感谢您的建议。我们已调整网点派送流程，已为您妥善处理此事。"
    "我们会跟进整改效果，并回访听取您的意见。",
}
REPLY_AGAIN = (
    "感谢您再次反馈，非常抱歉处理未能让您满意。已按您的要求重新处理并为您办理补偿。"
    "我们会在 24 小时内回访确认。"
)
RESOLUTION_BY_CATEGORY = {
    "service_quality": ["compensation", "redelivery", "refund", "explanation"],
    "attitude": ["apology", "apology", "explanation"],
    "process": ["process_fix", "explanation", "refund"],
    "product": ["replacement", "refund", "compensation"],
    "other": ["explanation", "process_fix"],
}
CAUSE_BY_CATEGORY = {
    "service_quality": ["staff_error", "process", "system_fault"],
    "attitude": ["staff_error"],
    "process": ["process", "system_fault"],
    "product": ["product"],
    "other": ["customer_misunderstanding", "process"],
}
# Demo routing: (category code or None, channel or "", team code)
RULES = [
    ("attitude", "", "east-complaints"),
    ("product", "", "east-complaints"),
    ("process", "", "south-online"),
    ("service_quality", "online", "south-online"),
    ("service_quality", "api", "south-online"),
    ("service_quality", "phone", "east-hotline"),
    (None, "", "east-complaints"),
]


def _pick(rng: random.Random, mix):
    return rng.choices([k for k, _w in mix], weights=[w for _k, w in mix])[0]


@dataclass
class Plan:
    """The planned life of one demo complaint (times are None if not reached)."""

    received_at: datetime
    category: str
    subcategory: str | None
    channel: str
    severity: str
    customer_id: int
    attributed: bool
    reject: bool
    hold_hours: float | None
    reopen: bool
    resolution_type: str
    cause_type: str
    amount: Decimal | None
    csat: int | None
    nps: int | None
    times: dict[str, datetime] = field(default_factory=dict)


# The root cause written on closing, per cause type (closing a service-quality or
# process complaint of a staff error or the process needs one).
DEMO_ROOT_CAUSES = {
    "staff_error": "派送员未按规范操作，岗前培训不足",
    "process": "网点交接流程缺少复核环节",
}


def _timeline(rng: random.Random, received_at: datetime, plan: Plan) -> None:
    """Step times from received_at; 10 % of steps are late."""

    def later(minutes_low, minutes_high, late_high=None):
        if late_high and rng.random() < 0.1:
            return timedelta(minutes=rng.uniform(minutes_high, late_high))
        return timedelta(minutes=rng.uniform(minutes_low, minutes_high))

    t = received_at + later(2, 25, 240)
    times = {"first_response": t}
    t += later(10, 90, 600)
    times["analysis"] = t
    if plan.reject:
        times["reject"] = t + timedelta(minutes=5)
        plan.times = times
        return
    if plan.hold_hours:
        times["hold"] = t + timedelta(minutes=3)
        t = times["hold"] + timedelta(hours=plan.hold_hours)
        times["resume"] = t
    times["handling"] = t + timedelta(minutes=5)
    t = times["handling"] + later(60, 1800, 6000)
    times["reply"] = t
    t += later(30, 1500, 5000)
    times["resolve"] = t
    if plan.reopen:
        times["reopen"] = t + timedelta(hours=rng.uniform(4, 40))
        times["handling2"] = times["reopen"] + timedelta(minutes=30)
        times["reply2"] = times["handling2"] + timedelta(hours=rng.uniform(1, 20))
        times["resolve2"] = times["reply2"] + timedelta(hours=rng.uniform(1, 10))
        t = times["resolve2"]
    if rng.random() < 0.75:
        times["confirm"] = t + later(60, 1200, 3000)
        t = times["confirm"]
    if plan.csat is not None:
        times["survey"] = t + timedelta(minutes=rng.uniform(5, 600))
        t = times["survey"]
    times["close"] = t + timedelta(hours=rng.uniform(1, 30))
    plan.times = times


def make_plans(ctx, customers: list[int], now: datetime):
    """Yield ``ctx.complaints`` plans (a generator: a million plans do not fit
    comfortably in memory at once)."""
    rng = random.Random(ctx.seed + 31)
    for _ in range(ctx.complaints):
        # more complaints recently, working hours more often than nights
        days_ago = (
            rng.uniform(0, 4)
            if rng.random() < 0.05
            else min(rng.expovariate(1 / 120), 364)
        )
        day = (now - timedelta(days=days_ago)).astimezone(
            timezone.get_default_timezone()
        )
        hour = rng.choices(range(24), weights=[1] * 8 + [8] * 10 + [3] * 4 + [1] * 2)[0]
        received_at = day.replace(
            hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
        )
        if received_at > now - timedelta(minutes=5):
            received_at = now - timedelta(minutes=rng.randint(5, 600))
        category = _pick(rng, CATEGORY_MIX)
        subcategory = rng.choice(SUBCATEGORIES[category])
        severity = _pick(rng, SEVERITY_MIX)
        resolution_type = rng.choice(RESOLUTION_BY_CATEGORY[category])
        amount = (
            Decimal(rng.randrange(20, 480)).quantize(Decimal("0.01"))
            if resolution_type in ("compensation", "refund")
            else None
        )
        answered = rng.random() < 0.6
        csat = _pick(rng, CSAT_MIX) if answered else None
        plan = Plan(
            received_at=received_at,
            category=category,
            subcategory=subcategory,
            channel=_pick(rng, CHANNEL_MIX),
            severity=severity,
            customer_id=rng.choice(customers),
            attributed=category == "attitude" and subcategory is None,
            reject=rng.random() < 0.04,
            hold_hours=rng.uniform(1, 60) if rng.random() < 0.08 else None,
            reopen=rng.random() < 0.05,
            resolution_type=resolution_type,
            cause_type=rng.choice(CAUSE_BY_CATEGORY[category]),
            amount=amount,
            csat=csat,
            nps=(max(0, min(10, csat * 2 + rng.randint(-2, 0))) if csat else None),
        )
        _timeline(rng, received_at, plan)
        yield plan


class Org:
    """Teams, front-line staff and routing of the demo organisation."""

    def __init__(self, ctx):
        self.rng = random.Random(ctx.seed + 32)
        staff = list(
            User.objects.filter(is_active=True, team__isnull=False)
            .select_related("team", "team__supervisor")
            .prefetch_related("groups")
        )
        self.front: dict[int, list[User]] = defaultdict(list)
        self.handlers: dict[int, list[User]] = defaultdict(list)
        self.teams = {}
        for user in staff:
            roles = {g.name for g in user.groups.all()}
            if roles & {Role.AGENT, Role.COMPLAINT_HANDLER}:
                self.front[user.team_id].append(user)
                self.teams[user.team.code] = user.team
            if Role.COMPLAINT_HANDLER in roles:
                self.handlers[user.team_id].append(user)
        self.all_front = [u for users in self.front.values() for u in users]
        self.front_by_department: dict[int, list[User]] = defaultdict(list)
        for user in self.all_front:
            self.front_by_department[user.department_id].append(user)
        self.partner = PartnerOrganisation.objects.order_by("pk").first()

    def receiver_for(self, customer: Customer) -> User | None:
        """A front-line colleague who may take this customer's call (staff file
        complaints only for customers in their scope: their department's)."""
        pool = self.front_by_department.get(customer.department_id)
        return self.rng.choice(pool) if pool else None

    def route(self, category: str, channel: str):
        for cat, chan, team_code in RULES:
            if (cat is None or cat == category) and (not chan or chan == channel):
                team = self.teams.get(team_code)
                if team is not None:
                    return team
        return next(iter(self.teams.values()), None)

    def resolver(self, complaint: Complaint):
        if complaint.assignee_id and complaint.assignee_id in {
            u.pk for u in self.handlers.get(complaint.team_id, [])
        }:
            return complaint.assignee
        team = complaint.team
        return team.supervisor if team and team.supervisor_id else None


def _ensure_rules(org: Org) -> None:
    categories = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    for i, (cat, chan, team_code) in enumerate(RULES):
        team = org.teams.get(team_code)
        if team is None:
            continue
        name = f"{categories[cat].name if cat else '全部类别'}·{chan or '全部渠道'}"
        AssignmentRule.objects.get_or_create(
            name=name,
            defaults={
                "category": categories.get(cat) if cat else None,
                "channel": chan,
                "team": team,
                "sort_order": (i + 1) * 10,
            },
        )


def seed(ctx) -> None:
    """The demo complaints, then the confirmation revisits of the resolved ones
    (planned even when the complaints were already there: same keys, no doubles),
    then the knowledge base (``complaints.demo_knowledge``)."""
    _seed_complaints(ctx)
    step = time.monotonic()
    seed_complaint_revisits(ctx)
    ctx.say(f"    (revisits in {time.monotonic() - step:.1f}s)")
    seed_articles(ctx)


def _seed_complaints(ctx) -> None:
    existing = Complaint.objects.count()
    if existing >= ctx.complaints:
        ctx.say(f"  complaints: {existing} already there")
        return
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    if not customers:
        ctx.say("  complaints: no customers, skipped")
        return
    now = timezone.now()
    org = Org(ctx)
    if not org.all_front:
        ctx.say("  complaints: no front-line staff, skipped")
        return
    _ensure_rules(org)
    # The live desk (``_seed_desk``) is the newest part of the budget; the
    # history is the rest, and the service path's share is what the desk leaves.
    desk_count = desk_size(ctx.complaints, org)
    history = ctx.complaints - desk_count
    plans = islice(make_plans(ctx, customers, now), existing, history)
    todo = max(0, history - existing)
    limit = max(
        0, ctx.shared.get("complaints_service_limit", SERVICE_LIMIT) - desk_count
    )
    bulk_count = max(0, todo - limit)
    if bulk_count:
        with _indexes_deferred(
            (Complaint,),
            enabled=bulk_count >= DEFER_INDEXES_FROM,
            ctx=ctx,
        ):
            # Each row carries its SLA state (``_sla_state``): a million
            # complaints are not updated again after the load.
            plans = _bulk(
                ctx,
                org,
                plans,
                bulk_count,
                now,
                parallel=bulk_count >= PARALLEL_FROM,
            )
        # The agents' open counts from the complaints.
        agent_load_recount()
        _analyze()
        if bulk_count >= PARALLEL_FROM:
            # Work a later app can start now, alongside the rest of this one
            # (the KPI rollups: ``kpi.demo.prebuild_rollups``).
            for hook in ctx.shared.get("after_complaints_bulk", ()):
                hook(ctx)
    service_plans = list(plans)
    org.customers = Customer.objects.in_bulk({p.customer_id for p in service_plans})
    made = 0
    # One transaction per 100 complaints: the services nest as savepoints, and
    # PostgreSQL does not pay a commit (fsync) for every step.
    ctx.progress("complaints through the services", 0, len(service_plans))
    for start in range(0, len(service_plans), 100):
        with transaction.atomic():
            for plan in service_plans[start : start + 100]:
                made += _through_services(org, plan, now)
        done = min(start + 100, len(service_plans))
        ctx.progress("complaints through the services", done, len(service_plans))
    desk = _seed_desk(ctx, org, now, ctx.complaints - max(existing, history))
    result = sla_sweep(now=now)
    _seed_capa(ctx, org, now)
    _seed_messages(ctx, now)
    ctx.say(
        f"  complaints: {bulk_count} bulk + {made} through the services "
        f"+ {desk} on today's desks; sweep marked {result['warned']} warnings, "
        f"{result['breached']} breaches"
    )


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL): autovacuum's
    ANALYZE comes minutes later, and until then every query of the later steps
    (the services, the KPI snapshots) is planned for the tables as they were
    before the load. The complaints table is also vacuumed: its visibility map
    is what lets the work lists count from ``complaint_open_work`` alone (an
    index-only scan) instead of visiting every open complaint's page — the
    state autovacuum keeps a live table in."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Complaint, SlaTarget, ComplaintEvent, SatisfactionSurvey):
            table = model._meta.db_table
            vacuum = model is Complaint and not connection.in_atomic_block
            cursor.execute(f"{'VACUUM ANALYZE' if vacuum else 'ANALYZE'} {table}")


class DemoMessageBackend:
    """The demo's provider: nothing leaves the machine; every eleventh message
    is refused (a number the operator reports as not in service), so the
    timeline and the admin show failed messages beside the sent ones."""

    def send(self, message) -> str:
        found = re.search(r"m(\d+)(?:@|>|$)", message.message_id)
        if found and int(found.group(1)) % 11 == 0:
            raise ChannelError("演示：运营商拒收（号码/地址无效）")
        return f"demo-{message.message_id}"


def _seed_messages(ctx, now: datetime) -> None:
    """The messages the service path queued (acknowledgements, replies,
    notices): sent through the demo's provider, a few refused (failed at the
    first refusal), each written on its complaint's timeline."""
    from django.test.utils import override_settings

    from complaints.services.message_delivery import customer_messages_deliver

    # One summary line below instead of a warning per refused message.
    delivery_log = logging.getLogger("complaints.services.message_delivery")
    level = delivery_log.level
    delivery_log.setLevel(logging.ERROR)
    try:
        with override_settings(KEFU_MESSAGE_MAX_ATTEMPTS=1):
            sent = customer_messages_deliver(now=now, backend=DemoMessageBackend())
    finally:
        delivery_log.setLevel(level)
    failed = CustomerMessage.objects.filter(status=CustomerMessage.Status.FAILED)
    ctx.say(f"  messages to customers: {sent} sent, {failed.count()} failed")


# --- the service path -----------------------------------------------------------
def _through_services(org: Org, plan: Plan, now: datetime) -> int:
    rng = org.rng
    times = plan.times
    customer = org.customers[plan.customer_id]
    receiver = None if plan.channel == "api" else org.receiver_for(customer)
    attributed = None
    if plan.attributed:
        # Staff name colleagues of their own department (the customer's).
        colleagues = org.front_by_department.get(customer.department_id)
        attributed = rng.choice(colleagues or org.all_front)
    subject, description, desired = TEXTS[plan.subcategory or plan.category]
    with transaction.atomic(), clock.at(plan.received_at):
        complaint = services.complaint_receive(
            actor=receiver,
            customer=customer,
            channel=plan.channel,
            category=plan.category,
            subcategory=plan.subcategory,
            severity=plan.severity,
            subject=subject,
            description=description,
            desired_resolution=desired,
            order_number=f"SF{rng.randrange(10**11, 10**12)}",
            source_partner=org.partner if plan.channel == "api" else None,
            attributed_staff=attributed,
        )
    worker = complaint.assignee or (
        complaint.team.supervisor if complaint.team else None
    )
    if worker is None:
        return 1
    resolver = org.resolver(complaint) or worker
    supervisor = complaint.team.supervisor if complaint.team else resolver

    steps = [
        (
            "first_response",
            worker,
            lambda c, a: services.complaint_reply(
                actor=a, complaint=c, body=REPLIES[0]
            ),
        ),
        (
            "analysis",
            worker,
            lambda c, a: services.complaint_record_analysis(
                actor=a,
                complaint=services.complaint_start_analysis(actor=a, complaint=c),
                cause_hypothesis="初步判断为派送环节问题，待网点核实",
                cause_type=plan.cause_type,
                impact_scope="单个客户",
            ),
        ),
        (
            "reject",
            supervisor,
            lambda c, a: services.complaint_reject(
                actor=a, complaint=c, reason="重复投诉，已合并处理"
            ),
        ),
        (
            "hold",
            worker,
            lambda c, a: services.complaint_hold(
                actor=a, complaint=c, reason="等待客户提供破损照片"
            ),
        ),
        (
            "resume",
            worker,
            lambda c, a: services.complaint_resume(actor=a, complaint=c),
        ),
        (
            "handling",
            worker,
            lambda c, a: services.complaint_start_handling(actor=a, complaint=c),
        ),
        (
            "reply",
            worker,
            lambda c, a: services.complaint_reply(
                actor=a, complaint=c, body=SOLUTION_REPLIES[plan.resolution_type]
            ),
        ),
        (
            "resolve",
            resolver,
            lambda c, a: services.complaint_resolve(
                actor=a,
                complaint=c,
                resolution_type=plan.resolution_type,
                resolution_summary=SOLUTIONS[plan.resolution_type],
                compensation_amount=plan.amount,
            ),
        ),
        (
            "reopen",
            supervisor,
            lambda c, a: services.complaint_reopen(
                actor=a, complaint=c, reason="客户对处理结果不满意，要求重新处理"
            ),
        ),
        (
            "handling2",
            resolver,
            lambda c, a: services.complaint_start_handling(actor=a, complaint=c),
        ),
        (
            "reply2",
            resolver,
            lambda c, a: services.complaint_reply(
                actor=a, complaint=c, body=REPLY_AGAIN
            ),
        ),
        (
            "resolve2",
            resolver,
            lambda c, a: services.complaint_resolve(
                actor=a,
                complaint=c,
                resolution_type="compensation",
                compensation_amount=Decimal("100.00"),
            ),
        ),
        (
            "confirm",
            resolver,
            lambda c, a: services.complaint_confirm(actor=a, complaint=c),
        ),
        (
            "survey",
            resolver,
            lambda c, a: services.survey_record_answer(
                actor=a,
                complaint=c,
                csat=plan.csat,
                nps=plan.nps,
                comment="处理及时，态度很好" if plan.csat >= 4 else "处理太慢",
                channel="phone",
            ),
        ),
        (
            "close",
            resolver,
            # a staff error or process cause: the root cause (改进) on closing
            lambda c, a: services.complaint_close(
                actor=a,
                complaint=c,
                root_cause=DEMO_ROOT_CAUSES.get(plan.cause_type, ""),
            ),
        ),
    ]
    for name, actor, step in steps:
        at = times.get(name)
        if at is None:
            continue
        if at > now:
            break
        with clock.at(at):
            try:
                result = step(complaint, actor)
            except DomainError:
                break
        if isinstance(result, Complaint):
            complaint = result
    return 1


# --- today's desks ------------------------------------------------------------------
# Each agent's open items (a number in DESK_AGENT_RANGE, history included), each
# complaint handler's items in analysis or handling, made through the services
# over the last two days so that every status is on somebody's desk.
DESK_AGENT_RANGE = (6, 12)
DESK_HANDLER_ITEMS = 3
DESK_SHARE = 2  # at most 1/DESK_SHARE of the budget
# The statuses of an agent's desk, in turn (several analyzing and reopened).
DESK_AGENT_STATUSES = (
    "analyzing",
    "received",
    "handling",
    "reopened",
    "replied",
    "analyzing",
    "on_hold",
    "handling",
    "reopened",
    "received",
    "analyzing",
    "handling",
)
DESK_HANDLER_STATUSES = ("analyzing", "handling", "handling", "analyzing")
# The steps to each status (after receiving).
DESK_PATHS = {
    "received": (),
    "analyzing": ("respond", "start_analysis"),
    "on_hold": ("respond", "start_analysis", "hold"),
    "handling": ("respond", "start_analysis", "record_analysis", "start_handling"),
    "replied": (
        "respond",
        "start_analysis",
        "record_analysis",
        "start_handling",
        "reply",
    ),
    "reopened": (
        "respond",
        "start_analysis",
        "record_analysis",
        "start_handling",
        "reply",
        "resolve",
        "reopen",
    ),
}
# Minutes before the urgent analysis clock runs out, for the desk items that
# are close to a breach (one per agent while they last).
NEAR_BREACH_MINUTES = (9, 14, 19, 24)


def _desk_staff(org: Org):
    agents, handlers = [], []
    for user in sorted(org.all_front, key=lambda u: u.username):
        roles = {g.name for g in user.groups.all()}
        if Role.COMPLAINT_HANDLER in roles:
            handlers.append(user)
        elif Role.AGENT in roles:
            agents.append(user)
    return agents, handlers


def desk_size(budget: int, org: Org) -> int:
    """How many of ``budget`` complaints are made for today's desks."""
    agents, handlers = _desk_staff(org)
    wanted = len(agents) * sum(DESK_AGENT_RANGE) // 2 + len(handlers) * (
        DESK_HANDLER_ITEMS
    )
    return min(wanted, budget // DESK_SHARE)


def _desk_plan(org: Org, count: int) -> list[tuple[User, str]]:
    """(worker, status) for ``count`` desk complaints: each agent up to their
    number (6–12, less what they already have open), then the handlers, then
    the agents again up to 14 while any remain."""
    agents, handlers = _desk_staff(org)
    open_now = dict(
        Complaint.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False)
        .values_list("assignee")
        .annotate(n=models.Count("pk"))
    )
    low, high = DESK_AGENT_RANGE
    want = {
        a.pk: max(0, low + (i * 5) % (high - low + 1) - open_now.get(a.pk, 0))
        for i, a in enumerate(agents)
    }
    plan: list[tuple[User, str]] = []
    # round-robin, so a short budget still gives every agent some
    given = defaultdict(int)
    while len(plan) < count and any(given[a.pk] < want[a.pk] for a in agents):
        for a in agents:
            if len(plan) < count and given[a.pk] < want[a.pk]:
                status = DESK_AGENT_STATUSES[given[a.pk] % len(DESK_AGENT_STATUSES)]
                plan.append((a, status))
                given[a.pk] += 1
    for h in handlers:
        for k in range(DESK_HANDLER_ITEMS):
            if len(plan) < count:
                plan.append((h, DESK_HANDLER_STATUSES[k % len(DESK_HANDLER_STATUSES)]))
    extra = [a for a in agents if open_now.get(a.pk, 0) + given[a.pk] < 14]
    while len(plan) < count and extra:
        for a in list(extra):
            if len(plan) >= count:
                break
            status = DESK_AGENT_STATUSES[given[a.pk] % len(DESK_AGENT_STATUSES)]
            plan.append((a, status))
            given[a.pk] += 1
            if open_now.get(a.pk, 0) + given[a.pk] >= 14:
                extra.remove(a)
    return plan


def _desk_routes(org: Org) -> dict[int, list[tuple[str, str]]]:
    """(category, channel) pairs the assignment rules route to each team's
    department, those of the team itself first."""
    pairs = [
        (cat, chan)
        for cat, _w in CATEGORY_MIX
        for chan in ("phone", "online", "onsite")
    ]
    routes: dict[int, list[tuple[str, str]]] = {}
    for team in org.teams.values():
        own, department = [], []
        for cat, chan in pairs:
            routed = org.route(cat, chan)
            if routed is None:
                continue
            if routed.pk == team.pk:
                own.append((cat, chan))
            elif routed.department_id == team.department_id:
                department.append((cat, chan))
        routes[team.pk] = own or department or pairs[:1]
    return routes


def _seed_desk(ctx, org: Org, now: datetime, count: int) -> int:
    """``count`` open complaints received over the last two days by the
    workers of ``_desk_plan`` (through the services: events, SLA clocks and
    notifications as in production), a few minutes from a breach for some."""
    if count <= 0:
        return 0
    plan = _desk_plan(org, count)
    rng = random.Random(ctx.seed + 34)
    routes = _desk_routes(org)
    customers: dict[int, list[int]] = defaultdict(list)
    for pk, department_id in Customer.objects.order_by("pk").values_list(
        "pk", "department_id"
    ):
        customers[department_id].append(pk)
    near = defaultdict(int)
    made = 0
    for start in range(0, len(plan), 50):
        with transaction.atomic():
            for worker, status in plan[start : start + 50]:
                pool = customers.get(worker.department_id)
                if not pool:
                    continue
                urgent_minutes = None
                if status == "analyzing" and near[worker.pk] == 0:
                    urgent_minutes = NEAR_BREACH_MINUTES[
                        made % len(NEAR_BREACH_MINUTES)
                    ]
                made += _desk_item(
                    org,
                    rng,
                    worker,
                    status,
                    now,
                    customer_id=rng.choice(pool),
                    route=rng.choice(routes[worker.team_id]),
                    urgent_minutes=urgent_minutes,
                )
                if urgent_minutes is not None:
                    near[worker.pk] += 1
        ctx.say(
            f"    complaints on today's desks: {min(start + 50, len(plan))}/{len(plan)}"
        )
    return made


def _desk_item(org, rng, worker, status, now, *, customer_id, route, urgent_minutes):
    """One desk complaint: received by ``worker`` (handed to them by their
    department's manager when the rules route it elsewhere), then the steps to
    ``status``. With ``urgent_minutes`` it is urgent and received so that its
    analysis clock (24×7) runs out that many minutes after ``now``."""
    category, channel = route
    subcategory = rng.choice(SUBCATEGORIES[category])
    subject, description, desired = TEXTS[subcategory or category]
    severity = "urgent" if urgent_minutes else _pick(rng, SEVERITY_MIX[1:])
    received_at = now - timedelta(minutes=rng.randint(40, 2 * 24 * 60))
    if urgent_minutes:
        policy = policy_for(
            channel=channel,
            severity=severity,
            category=Category.objects.get(code=category),
        )
        if policy is None or not (
            policy.is_24x7 or "analysis" in (policy.elapsed_targets or ())
        ):
            return 0
        received_at = now - timedelta(minutes=policy.analysis_minutes - urgent_minutes)
    steps = DESK_PATHS[status]
    gap = (now - received_at) / (len(steps) + 2)
    lead = worker.department.manager if worker.department_id else None
    supervisor = worker.team.supervisor if worker.team_id else lead
    try:
        with clock.at(received_at):
            complaint = services.complaint_receive(
                actor=worker,
                customer=Customer.objects.get(pk=customer_id),
                channel=channel,
                category=category,
                subcategory=subcategory,
                severity=severity,
                subject=subject,
                description=description,
                desired_resolution=desired,
                order_number=f"SF{rng.randrange(10**11, 10**12)}",
            )
        at = received_at + timedelta(minutes=1)
        if complaint.assignee_id != worker.pk and lead is not None:
            with clock.at(at):
                complaint = services.complaint_assign(
                    actor=lead, complaint=complaint, assignee=worker
                )
    except DomainError:
        return 0
    resolution = rng.choice(RESOLUTION_BY_CATEGORY[category])
    actions = {
        "respond": lambda c: services.complaint_reply(
            actor=worker, complaint=c, body=REPLIES[0]
        ),
        "start_analysis": lambda c: services.complaint_start_analysis(
            actor=worker, complaint=c
        ),
        "record_analysis": lambda c: services.complaint_record_analysis(
            actor=worker,
            complaint=c,
            cause_hypothesis="初步判断为派送环节问题，待网点核实",
            cause_type=rng.choice(CAUSE_BY_CATEGORY[category]),
            impact_scope="单个客户",
        ),
        "hold": lambda c: services.complaint_hold(
            actor=worker, complaint=c, reason="等待客户提供破损照片"
        ),
        "start_handling": lambda c: services.complaint_start_handling(
            actor=worker, complaint=c
        ),
        "reply": lambda c: services.complaint_reply(
            actor=worker, complaint=c, body=SOLUTION_REPLIES[resolution]
        ),
        "resolve": lambda c: services.complaint_resolve(
            actor=supervisor,
            complaint=c,
            resolution_type=resolution,
            resolution_summary=SOLUTIONS[resolution],
            compensation_amount=(
                Decimal("50.00") if resolution in ("compensation", "refund") else None
            ),
        ),
        "reopen": lambda c: services.complaint_reopen(
            actor=supervisor, complaint=c, reason="客户对处理结果不满意，要求重新处理"
        ),
    }
    for i, step in enumerate(steps, start=1):
        # the urgent ones answer within minutes (the first response clock is
        # 10 minutes), the others spread over the time since receiving
        moment = (
            received_at + timedelta(minutes=3 + i)
            if urgent_minutes
            else received_at + gap * i
        )
        with clock.at(moment):
            try:
                result = actions[step](complaint)
            except DomainError:
                break
        if isinstance(result, Complaint):
            complaint = result
    return 1


# --- the bulk path -------------------------------------------------------------------
def _defaults(model) -> dict:
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.generated
    }


# From this many bulk complaints on, PostgreSQL loads them without their
# secondary indexes and builds those once at the end: maintaining the 26
# indexes of the complaints (a trigram GIN, composite ones in no insert order)
# row by row costs more than one build. The clocks' and events' indexes stay: their keys arrive
# in order (complaint, time), and re-building them over 5M and 8M rows cost
# more than it saved (1M seed, 2026-12-03).
DEFER_INDEXES_FROM = 50_000


@contextmanager
def _indexes_deferred(models_, *, enabled: bool, ctx=None):
    """PostgreSQL: the body runs in one transaction without the tables'
    secondary indexes (those that back no constraint: primary keys and unique
    constraints stay), which are then re-created from their own definitions
    (``pg_indexes.indexdef``) in the same transaction — a failure or a kill
    rolls the whole load back with the drops, so the schema is never left
    without them. Elsewhere (SQLite, small loads) it only runs the body."""
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
            "WHERE k.conname = i.indexname)",
            [tables],
        )
        saved = cursor.fetchall()
        for name, _definition in saved:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at
        # the end of each statement instead, the queue of pending checks stays
        # one COPY long (not the whole load), and CREATE INDEX — refused while
        # checks are pending — can run at the end.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        started = time.monotonic()
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in saved:
            cursor.execute(definition)
        if ctx is not None:
            ctx.say(
                f"    {len(saved)} indexes re-created: "
                f"{time.monotonic() - started:.1f}s"
            )


# From this many bulk complaints on (the indexes deferred, PostgreSQL), the
# rows are built and encoded in a forked process while this one feeds
# PostgreSQL: the build (business-time due dates, COPY encoding) and the
# server's work (parsing, foreign keys, the clocks' and events' indexes)
# overlap on two cores instead of taking turns.
PARALLEL_FROM = DEFER_INDEXES_FROM


class _Builder:
    """Builds the bulk's rows (``_bulk_row``) chunk by chunk: the policies and
    schedules it reads (loaded on first use, or all at once by ``preload``),
    the day counters of the references."""

    def __init__(self, ctx, org: Org, now: datetime):
        self.org = org
        self.now = now
        self.categories = {c.code: c.pk for c in Category.objects.all()}
        self.category_objs = {c.code: c for c in Category.objects.all()}
        self.policies: dict = {}
        self.schedules: dict = {}
        self.counters = dict(ReferenceCounter.objects.values_list("day", "last_value"))
        self.tz = timezone.get_default_timezone()
        self.rng = random.Random(ctx.seed + 33)
        self.base = {
            "complaint": _defaults(Complaint),
            "target": _defaults(SlaTarget),
            "survey": _defaults(SatisfactionSurvey),
            "event": _defaults(ComplaintEvent),
        }

    def policy(self, channel: str, severity: str, category: str):
        key = (channel, severity, category)
        if key not in self.policies:
            self.policies[key] = policy_for(
                channel=channel,
                severity=severity,
                category=self.category_objs[category],
            )
        policy = self.policies[key]
        pkey = policy.pk if policy else None
        if pkey not in self.schedules:
            self.schedules[pkey] = schedule_for_policy(policy)
        return policy, self.schedules[pkey]

    def preload(self) -> None:
        """Every policy and schedule a plan can ask for (``make_plans``' mixes),
        so that building queries nothing."""
        for channel, _ in CHANNEL_MIX:
            for severity, _ in SEVERITY_MIX:
                for category, _ in CATEGORY_MIX:
                    self.policy(channel, severity, category)

    def build(self, plans) -> list[tuple]:
        built = []
        for plan in plans:
            policy, schedule = self.policy(plan.channel, plan.severity, plan.category)
            day = plan.received_at.astimezone(self.tz).date()
            self.counters[day] = self.counters.get(day, 0) + 1
            built.append(
                _bulk_row(
                    self.org,
                    self.rng,
                    plan,
                    self.now,
                    policy,
                    schedule,
                    self.categories,
                    format_reference(day, self.counters[day]),
                    self.base,
                )
            )
        return built

    def save_counters(self) -> None:
        with transaction.atomic():
            existing = set(ReferenceCounter.objects.values_list("day", flat=True))
            ReferenceCounter.objects.bulk_create(
                [
                    ReferenceCounter(day=d, last_value=v)
                    for d, v in self.counters.items()
                    if d not in existing
                ],
                batch_size=BATCH,
            )
            for d in existing:
                ReferenceCounter.objects.filter(day=d).update(
                    last_value=self.counters[d]
                )


def _bulk(ctx, org: Org, plans, count: int, now: datetime, *, parallel=False):
    """Write the next ``count`` plans' complaints with their clocks, surveys
    and events; return the plans that follow. ``parallel`` (PostgreSQL):
    built in a forked process (``PARALLEL_FROM``)."""
    builder = _Builder(ctx, org, now)
    writer = RowWriter()
    if parallel and writer.pg:
        rest = _bulk_forked(ctx, builder, writer, plans, count)
    else:
        rest = _bulk_here(ctx, builder, writer, plans, count)
    builder.save_counters()
    return rest


def _bulk_here(ctx, builder: _Builder, writer: RowWriter, plans, count: int):
    done = 0
    ctx.progress("complaints bulk", 0, count)
    while done < count:
        chunk = list(islice(plans, min(BATCH, count - done)))
        if not chunk:
            break
        built = builder.build(chunk)
        with transaction.atomic():
            rows = [b[0] for b in built]
            ids = writer.reserve_ids(Complaint, len(rows))
            if ids is not None:
                for row, pk in zip(rows, ids, strict=True):
                    row["id"] = pk
                writer.write(Complaint, rows, with_id=True)
            else:
                ids = writer.write(Complaint, rows)
            targets, surveys, events = _dependants(built, ids)
            writer.write(SlaTarget, targets)
            writer.write(SatisfactionSurvey, surveys)
            writer.write(ComplaintEvent, events)
        done += len(chunk)
        ctx.progress("complaints bulk", done, count)
    return plans


def _dependants(built: list[tuple], ids) -> tuple[list, list, list]:
    """The chunk's target, survey and event rows, each pointing at its
    complaint's id."""
    targets, surveys, events = [], [], []
    for pk, (_row, t_rows, s_row, e_rows) in zip(ids, built, strict=True):
        for r in t_rows:
            r["complaint_id"] = pk
        targets += t_rows
        if s_row is not None:
            s_row["complaint_id"] = pk
            surveys.append(s_row)
        for r in e_rows:
            r["complaint_id"] = pk
        events += e_rows
    return targets, surveys, events


class _NoQueries(RuntimeError):
    pass


def _no_queries(execute, sql, params, many, context):
    raise _NoQueries(f"the bulk's build process queried the database: {sql[:200]}")


def _produce(
    queue, builder: _Builder, writer: RowWriter, plans, count, first, revisits
):
    """The forked process: build and encode the chunks (with the resolved
    complaints' confirmation revisits, ``revisits``), put them on
    ``queue`` (("chunk", (plans in it, streams)), then ("done", (counters,
    the plans after the bulk))) or ("error", traceback). It shares the
    parent's connection object and must never use it: any query raises."""
    try:
        with connection.execute_wrapper(_no_queries):
            pk = first
            done = 0
            while done < count:
                chunk = list(islice(plans, min(BATCH, count - done)))
                if not chunk:
                    break
                built = builder.build(chunk)
                ids = range(pk, pk + len(built))
                pk += len(built)
                rows = []
                for row, pk_ in zip((b[0] for b in built), ids, strict=True):
                    row["id"] = pk_
                    rows.append(row)
                targets, surveys, events = _dependants(built, ids)
                # The resolved complaints' confirmation revisits, which
                # ``seed_complaint_revisits`` then finds planned.
                planned = [
                    revisits.row(
                        row["id"],
                        row["customer_id"],
                        row["assignee_id"],
                        row["resolved_at"],
                    )
                    for row in rows
                    if row["resolved_at"] is not None
                ]
                streams = [
                    ("complaint", writer.encode(Complaint, rows, with_id=True)),
                    ("target", writer.encode(SlaTarget, targets)),
                    ("survey", writer.encode(SatisfactionSurvey, surveys)),
                    ("event", writer.encode(ComplaintEvent, events)),
                    ("revisit", writer.encode(Revisit, planned)),
                ]
                queue.put(("chunk", (len(chunk), streams)))
                done += len(chunk)
            queue.put(("done", (builder.counters, list(plans))))
    except BaseException:  # reported to the parent, which raises
        queue.put(("error", traceback.format_exc()))
    finally:
        queue.close()
        queue.join_thread()


_STREAM_MODELS = {
    "complaint": (Complaint, True),
    "target": (SlaTarget, False),
    "survey": (SatisfactionSurvey, False),
    "event": (ComplaintEvent, False),
    "revisit": (Revisit, False),
}


def _bulk_forked(ctx, builder: _Builder, writer: RowWriter, plans, count: int):
    """``_bulk_here``'s rows, built and encoded in a forked process
    (``_produce``) while this one sends them: at most two chunks wait in
    between (bounded memory). The complaints' ids are one range reserved
    beforehand, under a lock that keeps other inserts out."""
    with transaction.atomic():
        return _bulk_forked_in_transaction(ctx, builder, writer, plans, count)


def _bulk_forked_in_transaction(ctx, builder, writer, plans, count: int):
    builder.preload()
    for model, with_id in _STREAM_MODELS.values():
        writer.layout(model, with_id=with_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"LOCK TABLE {connection.ops.quote_name(Complaint._meta.db_table)} "
            "IN SHARE ROW EXCLUSIVE MODE"
        )
    first = writer.reserve_range(Complaint, count)
    revisits = ConfirmationRevisits(ctx, builder.now)
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    child = context.Process(
        target=_produce,
        args=(queue, builder, writer, plans, count, first, revisits),
        daemon=True,
    )
    done = 0
    ctx.progress("complaints bulk", 0, count)
    child.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the bulk's build process died (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "error":
                raise RuntimeError(f"the bulk's build process failed:\n{payload}")
            if kind == "done":
                builder.counters, rest = payload
                break
            n, streams = payload
            with transaction.atomic():
                for name, data in streams:
                    model, with_id = _STREAM_MODELS[name]
                    writer.write_encoded(model, data, with_id=with_id)
            done += n
            ctx.progress("complaints bulk", done, count)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
    return iter(rest)


def _bulk_row(org, rng, plan, now, policy, schedule, categories, reference, base):
    """One complaint row with precomputed fields, its SLA targets, survey and
    events, as dicts of attnames (no model instances: a million of them is slow)."""
    S = Complaint.Status
    times = {k: v for k, v in plan.times.items() if v <= now}
    team = org.route(plan.category, plan.channel)
    front = org.front.get(team.pk, []) if team else []
    assignee = rng.choice(front) if front else None
    subject, description, desired = TEXTS[plan.subcategory or plan.category]
    c = dict(base["complaint"])
    c.update(
        reference=reference,
        customer_id=plan.customer_id,
        channel=plan.channel,
        category_id=categories[plan.category],
        subcategory_id=categories.get(plan.subcategory) if plan.subcategory else None,
        severity=plan.severity,
        subject=subject,
        description=description,
        desired_resolution=desired,
        order_number=f"SF{rng.randrange(10**11, 10**12)}",
        received_at=plan.received_at,
        created_at=plan.received_at,
        updated_at=max(times.values(), default=plan.received_at),
        team_id=team.pk if team else None,
        department_id=team.department_id if team else None,
        assignee_id=assignee.pk if assignee else None,
        source_partner_id=(
            org.partner.pk if plan.channel == "api" and org.partner else None
        ),
        attributed_staff_id=(rng.choice(org.all_front).pk if plan.attributed else None),
        sla_policy_id=policy.pk if policy else None,
        status=S.RECEIVED,
        version=1 + len(times),
    )
    targets: list[dict] = []

    def target(kind, started, met, cycle=1):
        if policy is None:
            return None
        minutes = getattr(policy, TARGET_FIELDS[kind][0])
        clock_schedule = schedule_for_kind(kind, schedule, policy)
        due = clock_schedule.add(started, minutes)
        warn = clock_schedule.add(started, minutes * policy.warn_percent / 100)
        t = dict(base["target"])
        reached = met or now
        t.update(
            kind=kind,
            cycle=cycle,
            started_at=started,
            target_minutes=minutes,
            due_at=due,
            warn_at=warn,
            met_at=met,
            warned_at=warn if reached >= warn else None,
            breached_at=due if reached > due else None,
        )
        targets.append(t)
        c[TARGET_FIELDS[kind][1]] = due
        return t

    def cancel_open(at):
        for t in targets:
            if t["met_at"] is None and t["breached_at"] is None:
                t["cancelled_at"] = at
                t["warned_at"] = None

    fr = times.get("first_response")
    target("first_response", plan.received_at, fr)
    if fr:
        c["first_response_at"] = fr
        c["first_response_minutes"] = schedule.minutes_between(plan.received_at, fr)
    an = times.get("analysis")
    target("analysis", plan.received_at, an)
    reply = times.get("reply")
    target("reply", plan.received_at, reply)
    resolve = times.get("resolve")
    target("resolution", plan.received_at, resolve)
    if an:
        c.update(
            status=S.ANALYZING,
            analyzed_at=an,
            cause_type=plan.cause_type,
            cause_hypothesis="初步判断为派送环节问题，待网点核实",
        )
    survey = None
    if "reject" in times:
        c.update(
            status=S.REJECTED,
            rejection_reason="重复投诉，已合并处理",
            closed_at=times["reject"],
        )
        cancel_open(c["closed_at"])
        c.update(_sla_state(targets))
        return c, targets, None, _bulk_events(base, c)
    if "hold" in times and "resume" not in times:
        c.update(status_before_hold=c["status"], status=S.ON_HOLD)
        c["on_hold_since"] = times["hold"]
    if "handling" in times:
        c["status"] = S.HANDLING
    if reply:
        c.update(status=S.REPLIED, replied_at=reply)
    if resolve:
        c.update(
            status=S.RESOLVED,
            resolved_at=resolve,
            first_resolved_at=resolve,
            resolution_minutes=schedule.minutes_between(plan.received_at, resolve),
            resolution_type=plan.resolution_type,
            resolution_summary=SOLUTIONS[plan.resolution_type],
            compensation_amount=plan.amount,
        )
        cycle = 1
        last_resolve = resolve
        if "reopen" in times:
            cycle = 2
            first_confirmation = target("confirmation", resolve, None)
            if first_confirmation and first_confirmation["breached_at"] is None:
                first_confirmation["cancelled_at"] = times["reopen"]
                first_confirmation["warned_at"] = None
            c.update(reopened_count=1, status=S.REOPENED, resolved_at=None)
            resolve2 = times.get("resolve2")
            target("resolution", times["reopen"], resolve2, cycle=2)
            if "handling2" in times:
                c["status"] = S.HANDLING
            if "reply2" in times:
                c["status"] = S.REPLIED
            last_resolve = resolve2
            if resolve2:
                c.update(status=S.RESOLVED, resolved_at=resolve2)
        if last_resolve:
            confirm = times.get("confirm")
            target("confirmation", last_resolve, confirm, cycle=cycle)
            c["confirmed_at"] = confirm
            survey = dict(base["survey"])
            survey.update(
                customer_id=plan.customer_id, cycle=cycle, created_at=last_resolve
            )
            if "survey" in times:
                survey.update(
                    csat=plan.csat,
                    nps=plan.nps,
                    channel="phone",
                    answered_at=times["survey"],
                    comment="处理及时，态度很好" if plan.csat >= 4 else "处理太慢",
                )
            if "close" in times:
                c.update(status=S.CLOSED, closed_at=times["close"])
                cancel_open(c["closed_at"])
    c.update(_sla_state(targets))
    return c, targets, survey, _bulk_events(base, c)


def _sla_state(targets: list[dict]) -> dict[str, bool]:
    """A bulk row's SLA state from its targets' dicts: the rule of
    ``complaints.services.sla.SLA_STATE`` (which the services keep with
    ``sla_state_sync``; a test compares every bulk complaint with it)."""
    running = [t for t in targets if t["met_at"] is None and t["cancelled_at"] is None]
    return {
        "sla_breached": any(t["breached_at"] is not None for t in targets),
        "sla_warned": any(
            t["warned_at"] is not None and t["breached_at"] is None for t in running
        ),
        "sla_paused": any(t["paused_at"] is not None for t in running),
    }


def _bulk_events(base, c) -> list[dict]:
    created = dict(base["event"])
    created.update(
        kind=ComplaintEvent.Kind.CREATED,
        to_status=Complaint.Status.RECEIVED,
        customer_visible=True,
        created_at=c["received_at"],
        data={"channel": c["channel"], "bulk": True},
    )
    events = [created]
    if c["status"] != Complaint.Status.RECEIVED:
        last = dict(base["event"])
        last.update(
            kind=ComplaintEvent.Kind.STATUS_CHANGED,
            to_status=c["status"],
            customer_visible=True,
            created_at=c["updated_at"],
            data={"bulk": True},
        )
        events.append(last)
    return events


# --- CAPA ---------------------------------------------------------------------------
CAPAS = [
    (
        "attitude",
        "派送员服务礼仪专项培训",
        "部分派送员未经礼仪培训即上岗，沟通用语不规范",
        "组织全体派送员参加服务礼仪培训，并每周抽查通话录音",
    ),
    (
        "service_quality",
        "易碎品包装规范整改",
        "易碎品未按规范加固包装，中转环节受压破损",
        "修订易碎品收寄包装标准，网点收寄时拍照留存",
    ),
    (
        "process",
        "理赔退款流程提速",
        "理赔审核与财务打款两个环节串行，平均耗时过长",
        "理赔审核通过后自动推送财务，打款时限缩短至3个工作日",
    ),
    (
        "service_quality",
        "延误件主动告知机制",
        "中转延误后未主动告知客户，客户多次来电催件",
        "延误超过24小时的快件由系统自动短信告知客户预计送达时间",
    ),
    (
        "process",
        "上门派送预约确认",
        "派送前未与客户确认上门时间，拒绝上门投诉集中",
        "派送前一小时电话或短信确认，无法上门时登记原因",
    ),
    (
        "process",
        "节假日投诉突增复查",
        "节前一周同类投诉突增，经核实为同一批次重复登记",
        "复查重复登记的投诉并合并处理",
    ),
]
# The walk of each demo CAPA, so the demo shows every state a CAPA reaches
# through the services: (days ago it was opened, [(days after opening, step)]).
# "verified" / "ineffective" steps are the verification by the team's
# department manager; "cancelled" is the team lead's.
CAPA_WALKS = [
    (75, [(20, "complete"), (50, "verified")]),  # verified effective
    (55, [(20, "complete")]),  # completed, awaiting verification
    (35, [(2, "start")]),  # in progress
    (80, [(2, "start"), (25, "complete"), (45, "ineffective")]),  # not effective
    (10, []),  # open
    (20, [(3, "cancelled")]),  # cancelled: not needed after all
]
CAPA_NOTES = {
    "cancelled": "经核实为重复登记，非真实突增，无需整改",
    "complete": "已按计划完成整改",
    "verified": "整改后一个月内同类投诉下降60%",
    "ineffective": "整改后同类投诉未见下降，需重新分析原因",
}


def _seed_capa(ctx, org: Org, now: datetime) -> None:
    """The demo's corrective actions, one per state (CAPA_WALKS), through the
    services. Skipped when they are there (the rules also draft CAPAs while
    the complaints are seeded: those do not count)."""
    from complaints.models import CorrectiveAction

    titles = [title for _c, title, _r, _a in CAPAS]
    if CorrectiveAction.objects.filter(title__in=titles).exists():
        return
    supervisors = {t.supervisor for t in org.teams.values() if t.supervisor_id}
    lead = next(iter(sorted(supervisors, key=lambda u: u.pk)), None)
    if lead is None:
        return
    team = next(t for t in org.teams.values() if t.supervisor_id == lead.pk)
    verifier = team.department.manager if team.department.manager_id else None
    owner = org.handlers.get(lead.team_id or 0, [lead])[0] if lead.team_id else lead
    for (category, title, cause, action), (days_ago, walk) in zip(
        CAPAS, CAPA_WALKS, strict=True
    ):
        complaints = list(
            Complaint.objects.filter(
                category__code=category, team__supervisor=lead
            ).order_by("-received_at")[:3]
        )
        start = now - timedelta(days=days_ago)
        with clock.at(start):
            capa = services.capa_create(
                actor=lead,
                title=title,
                root_cause=cause,
                action=action,
                owner=owner,
                due_date=timezone.localdate(start + timedelta(days=30)),
                complaints=complaints,
            )
        for after, step in walk:
            if step in ("verified", "ineffective") and (
                verifier is None or verifier.pk == owner.pk
            ):
                break
            with clock.at(start + timedelta(days=after)):
                if step == "start":
                    capa = services.capa_start(actor=owner, capa=capa)
                elif step == "cancelled":
                    capa = services.capa_cancel(
                        actor=lead, capa=capa, note=CAPA_NOTES[step]
                    )
                elif step == "complete":
                    capa = services.capa_complete(
                        actor=owner, capa=capa, note=CAPA_NOTES[step]
                    )
                else:
                    capa = services.capa_verify(
                        actor=verifier,
                        capa=capa,
                        effective=step == "verified",
                        note=CAPA_NOTES[step],
                    )
