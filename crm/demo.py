"""Demo organisation, staff, partners and customers (called by ``seed_demo``)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from crm.models import (
    Contact,
    ContactChannel,
    Customer,
    Department,
    Interaction,
    PartnerOrganisation,
    Revisit,
    RevisitRule,
    Team,
    User,
)
from crm.roles import Role

DEMO_PASSWORD = "Kefu@2026"
NOTICE_AT = datetime(2025, 1, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(480))
# Cap of customers that get demo contacts/interactions/revisits: keeps a
# 1M-customer seed fast (the bulk test seeds 12,000 in a bounded number of queries).
HISTORY_CUSTOMERS = 600

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯鹏飞鑫波辉婷雪琳晨欣怡佳子轩梓涵一诺雨桐思远博文"
COMPANY_PREFIX = [
    "华东",
    "江南",
    "鹏城",
    "蓉城",
    "京津",
    "闽南",
    "中原",
    "湘江",
    "滨海",
    "西湖",
]
COMPANY_CORE = [
    "电子",
    "服饰",
    "食品",
    "家居",
    "医药",
    "母婴",
    "数码",
    "茶业",
    "文具",
    "汽配",
]
COMPANY_SUFFIX = ["有限公司", "贸易有限公司", "科技有限公司", "电子商务有限公司"]

DEPARTMENTS = [
    ("east", "华东客服中心"),
    ("south", "华南客服中心"),
]
TEAMS = [
    ("east-hotline", "热线服务组", "east"),
    ("east-complaints", "投诉处理组", "east"),
    ("south-online", "在线服务组", "south"),
    ("south-relations", "客户关系组", "south"),
]
PARTNERS = [
    ("suda-mall", "速达商城", "api@suda-mall.example.cn"),
    ("yunhai-logistics", "云海物流合作方", "it@yunhai.example.cn"),
]

# (username prefix, role, how many, department code or None, team codes cycled)
STAFF_PLAN = [
    ("manager", Role.MANAGER, 2, ["east", "south"], [None]),
    ("supervisor", Role.SUPERVISOR, 4, None, [t[0] for t in TEAMS]),
    ("agent", Role.AGENT, 16, None, [t[0] for t in TEAMS]),
    ("handler", Role.COMPLAINT_HANDLER, 6, None, ["east-complaints", "south-online"]),
    ("accountmgr", Role.ACCOUNT_MANAGER, 4, None, ["east-hotline", "south-relations"]),
    ("relations", Role.RELATIONS_SPECIALIST, 3, None, ["south-relations"]),
    ("qa", Role.QA_INSPECTOR, 2, ["east", "south"], [None]),
    ("trainer", Role.TRAINER, 2, ["east", "south"], [None]),
]


@dataclass
class DemoContext:
    """What every app's ``seed(ctx)`` receives; apps may stash things for later apps."""

    seed: int
    rng: random.Random
    customers: int = 300
    complaints: int = 1200
    staff_extra: int = 0
    stdout: object = None
    style: object = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    shared: dict = field(default_factory=dict)

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    def progress(self, label: str, done: int, total: int) -> None:
        """A progress bar line for a long step, printed each time ``done``
        crosses another 5 % of ``total`` (log-friendly: one line per step, no
        carriage returns), with the rate so far and the time left at that rate.
        Call it with ``done=0`` when the step starts: the clock starts there."""
        if total <= 0:
            return
        bars = self.shared.setdefault("_progress", {})
        now = time.monotonic()
        started, shown = bars.setdefault(label, (now, -1))
        step = done * 20 // total
        if step == shown and done < total:
            return
        bars[label] = (started, step)
        elapsed = now - started
        rate = done / elapsed if elapsed > 0 and done else 0.0
        timing = (
            f" · {rate:,.0f}/s · {elapsed:,.0f}s elapsed, "
            f"~{(total - done) / rate:,.0f}s left"
            if rate
            else ""
        )
        bar = "#" * step + "." * (20 - step)
        self.say(
            f"    {label} [{bar}] {100 * done // total:3d}% {done:,}/{total:,}{timing}"
        )


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def company_name(rng: random.Random) -> str:
    return (
        rng.choice(COMPANY_PREFIX)
        + rng.choice(COMPANY_CORE)
        + rng.choice(COMPANY_SUFFIX)
    )


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    departments = {
        code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENTS
    }
    teams = {
        code: Team.objects.get_or_create(
            code=code, defaults={"name": name, "department": departments[dept]}
        )[0]
        for code, name, dept in TEAMS
    }
    for code, name, email in PARTNERS:
        PartnerOrganisation.objects.get_or_create(
            code=code, defaults={"name": name, "contact_email": email}
        )
    staff = _seed_staff(ctx, departments, teams)
    ctx.shared.update(departments=departments, teams=teams, staff=staff)
    _seed_customers(ctx, departments, staff)
    _seed_contacts(ctx)
    _seed_interactions(ctx, staff)
    _seed_revisits(ctx, staff)


def _seed_staff(ctx, departments, teams) -> dict[str, User]:
    rng = random.Random(ctx.seed + 1)  # independent of how many customers we make
    password = make_password(DEMO_PASSWORD)  # hash once; PBKDF2 is slow on purpose
    groups = {g.name: g for g in Group.objects.all()}
    existing = {u.username: u for u in User.objects.select_related("team")}
    staff: dict[str, User] = {}

    admin = existing.get("admin")
    if admin is None:
        admin = User.objects.create(
            username="admin",
            name="系统管理员",
            employee_no="KF0000",
            is_staff=True,
            is_superuser=True,
            password=password,
            department=departments["east"],
        )
        admin.groups.add(groups[Role.ADMIN])
    staff["admin"] = admin
    ctx.logins.append(("admin", Role.ADMIN.value, admin.name))

    number = 0
    plan = list(STAFF_PLAN)
    if ctx.staff_extra:
        plan.append(
            ("agentx", Role.AGENT, ctx.staff_extra, None, [t[0] for t in TEAMS])
        )
    for prefix, role, count, dept_codes, team_codes in plan:
        for i in range(count):
            number += 1
            username = (
                f"{prefix}{i + 1:02d}" if prefix != "agentx" else f"agentx{i + 1:04d}"
            )
            name = person_name(rng)
            team_code = team_codes[i % len(team_codes)]
            team = teams[team_code] if team_code else None
            department = (
                team.department
                if team
                else departments[dept_codes[i % len(dept_codes)]]
            )
            user = existing.get(username)
            if user is None:
                user = User.objects.create(
                    username=username,
                    name=name,
                    employee_no=f"KF{number:04d}"
                    if prefix != "agentx"
                    else f"KX{i + 1:05d}",
                    email=f"{username}@kefu.example.cn",
                    is_staff=True,
                    password=password,
                    department=department,
                    team=team,
                    hired_on=date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)),
                )
                user.groups.add(groups[role])
            staff[username] = user
            if prefix != "agentx":
                ctx.logins.append((username, role.value, user.name))

    # Wire managers and supervisors into the organisation.
    for code, dept in departments.items():
        manager = staff[f"manager{1 if code == 'east' else 2:02d}"]
        if dept.manager_id != manager.pk:
            dept.manager = manager
            dept.save(update_fields=["manager"])
    supervisors = {}
    for i, (code, _name, _dept) in enumerate(TEAMS):
        supervisor = staff[f"supervisor{i + 1:02d}"]
        supervisors[code] = supervisor
        team = teams[code]
        if team.supervisor_id != supervisor.pk:
            team.supervisor = supervisor
            team.save(update_fields=["supervisor"])
    managers = {d.pk: d.manager for d in departments.values()}
    team_supervisors = {t.pk: t.supervisor for t in teams.values()}
    for user in staff.values():
        boss = team_supervisors.get(user.team_id)
        if boss is None or boss.pk == user.pk:
            boss = managers.get(user.department_id)
        if boss is None or boss.pk == user.pk or user.is_superuser:
            continue
        if user.supervisor_id != boss.pk:
            user.supervisor = boss
            user.save(update_fields=["supervisor"])
    return staff


def _seed_customers(ctx, departments, staff) -> None:
    rng = random.Random(ctx.seed + 2)
    account_managers = [
        u for k, u in sorted(staff.items()) if k.startswith("accountmgr")
    ]
    extra = random.Random(ctx.seed + 3)  # consent, channel, birthday: own stream
    existing = set(Customer.objects.values_list("code", flat=True))
    dept_list = list(departments.values())
    batch: list[Customer] = []
    created = 0
    for n in range(1, ctx.customers + 1):
        # Draw every value even for existing rows so the stream stays deterministic.
        is_company = rng.random() < 0.15
        name = company_name(rng) if is_company else person_name(rng)
        roll = rng.random()
        tier = (
            Customer.Tier.KEY
            if roll < 0.05
            else Customer.Tier.IMPORTANT
            if roll < 0.2
            else Customer.Tier.REGULAR
        )
        lifecycle = rng.choice(
            [Customer.Lifecycle.ACTIVE] * 6
            + [Customer.Lifecycle.NEW] * 2
            + [Customer.Lifecycle.DORMANT, Customer.Lifecycle.CHURNED]
        )
        phone = f"+86{rng.choice(['138', '139', '150', '186', '177', '199'])}{n:08d}"
        has_email = rng.random() < 0.4
        code = f"KH{n:07d}"
        consents = extra.random() < 0.7
        channel = extra.choice(
            [ContactChannel.PHONE] * 4
            + [ContactChannel.SMS, ContactChannel.ONLINE, ContactChannel.EMAIL]
        )
        birthday = (
            date(extra.randint(1960, 2002), extra.randint(1, 12), extra.randint(1, 28))
            if not is_company and extra.random() < 0.5
            else None
        )
        if code in existing:
            continue
        owner = (
            account_managers[n % len(account_managers)]
            if tier != Customer.Tier.REGULAR and account_managers
            else None
        )
        batch.append(
            Customer(
                code=code,
                kind=Customer.Kind.COMPANY if is_company else Customer.Kind.INDIVIDUAL,
                name=name,
                phone=phone,
                email=f"kh{n}@mail.example.cn" if has_email else "",
                tier=tier,
                lifecycle=lifecycle,
                owner=owner,
                department=owner.department if owner else dept_list[n % len(dept_list)],
                preferred_channel=channel,
                birthday=birthday,
                consent_to_contact=consents,
                privacy_notice_version="2025-01" if consents else "",
                consent_at=NOTICE_AT if consents else None,
            )
        )
        if len(batch) >= 5000:
            Customer.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
        created += len(batch)
    ctx.say(f"  customers: {created} created, {len(existing)} already there")


CONTACT_TITLES = ["采购经理", "行政主管", "物流专员", "财务", "总经理助理"]
INTERACTION_SUMMARIES = [
    "来电查询快件物流状态",
    "咨询寄件价格与时效",
    "反映派送员未按约定时间上门",
    "要求修改收件地址",
    "在线咨询理赔流程",
    "来电催促退款进度",
    "咨询月结账户开通",
    "反馈包装破损，已登记",
]
REVISIT_FEEDBACK = [
    "对处理结果满意",
    "希望派送时间更准时",
    "服务态度很好",
    "建议增加周末派送",
    "对赔偿金额基本认可",
    "",
]


def _history_customers() -> list[tuple[int, int | None, int | None, str, str]]:
    return list(
        Customer.objects.order_by("pk").values_list(
            "pk", "owner_id", "department_id", "kind", "tier"
        )[:HISTORY_CUSTOMERS]
    )


def _seed_contacts(ctx) -> None:
    rng = random.Random(ctx.seed + 4)
    have = set(Contact.objects.values_list("customer_id", flat=True).distinct())
    batch = []
    for pk, _owner, _dept, kind, _tier in _history_customers():
        if kind != Customer.Kind.COMPANY:
            continue
        count = rng.randint(1, 3)
        names = [person_name(rng) for _ in range(count)]
        if pk in have:
            continue
        for i, name in enumerate(names):
            batch.append(
                Contact(
                    customer_id=pk,
                    name=name,
                    title=rng.choice(CONTACT_TITLES),
                    phone=f"+86137{pk:05d}{i:03d}",
                    is_primary=i == 0,
                )
            )
    Contact.objects.bulk_create(batch)
    ctx.say(f"  contacts: {len(batch)} created")


def _front_line(staff) -> list[User]:
    return [u for k, u in sorted(staff.items()) if k.startswith(("agent0", "agent1"))]


def _seed_interactions(ctx, staff) -> None:
    rng = random.Random(ctx.seed + 5)
    agents = _front_line(staff)
    have = set(Interaction.objects.values_list("customer_id", flat=True).distinct())
    now = timezone.now()
    channels = [c for c, _label in Interaction.Channel.choices]
    batch = []
    for pk, _owner, _dept, _kind, _tier in _history_customers():
        plan = [
            (
                rng.choice(channels),
                rng.random() < 0.75,
                now - timedelta(minutes=rng.randint(60, 365 * 24 * 60)),
                rng.choice(agents) if agents else None,
                rng.choice(INTERACTION_SUMMARIES),
            )
            for _ in range(rng.randint(0, 3))
        ]
        if pk in have:
            continue
        for channel, inbound, when, agent, summary in plan:
            batch.append(
                Interaction(
                    customer_id=pk,
                    channel=channel,
                    direction=Interaction.Direction.INBOUND
                    if inbound
                    else Interaction.Direction.OUTBOUND,
                    occurred_at=when,
                    staff=agent,
                    summary=summary,
                )
            )
    Interaction.objects.bulk_create(batch, batch_size=500)
    ctx.say(f"  interactions: {len(batch)} created")


def _seed_revisits(ctx, staff) -> None:
    """Revisits over the last year: most done on time, some done late, some
    missed, a few overdue now, some due within the hour, some in the coming days.

    Keys start with ``demo:`` so a second run adds nothing. Reminders of the long
    past are stamped as sent, so the first sweep only raises the recent ones.
    """
    rng = random.Random(ctx.seed + 6)
    relations = [u for k, u in sorted(staff.items()) if k.startswith("relations")]
    rule_by_trigger = {r.trigger: r for r in RevisitRule.objects.all()}
    now = timezone.now()
    batch = []
    purposes = [
        Revisit.Purpose.SATISFACTION,
        Revisit.Purpose.AFTER_SALES,
        Revisit.Purpose.CARE,
        Revisit.Purpose.WIN_BACK,
    ]
    for pk, owner_id, _dept, _kind, tier in _history_customers():
        for i in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.05:
                due = now + timedelta(minutes=rng.randint(5, 55))  # due soon
            elif roll < 0.2:
                due = now + timedelta(hours=rng.randint(2, 14 * 24))
            elif roll < 0.25:
                due = now - timedelta(hours=rng.randint(1, 40))  # overdue now
            else:
                due = now - timedelta(hours=rng.randint(48, 365 * 24))
            assignee_id = owner_id or (rng.choice(relations).pk if relations else None)
            purpose = (
                Revisit.Purpose.CARE
                if tier == Customer.Tier.KEY and rng.random() < 0.5
                else rng.choice(purposes)
            )
            method = rng.choice(
                [Revisit.Method.PHONE] * 5 + [Revisit.Method.SMS, Revisit.Method.ONLINE]
            )
            outcome_roll = rng.random()
            late = timedelta(hours=rng.randint(2, 96))
            early = timedelta(hours=rng.randint(0, 20), minutes=rng.randint(1, 59))
            score = rng.choice([5, 5, 5, 4, 4, 3, 2])
            feedback = rng.choice(REVISIT_FEEDBACK)
            revisit = Revisit(
                key=f"demo:{pk}:{i}",
                customer_id=pk,
                purpose=purpose,
                method=method,
                due_at=due,
                assignee_id=assignee_id,
                rule=rule_by_trigger.get(
                    "periodic"
                    if purpose == Revisit.Purpose.CARE
                    else "customer_created"
                ),
            )
            if due < now - timedelta(hours=48):
                revisit.reminded_at = due - timedelta(hours=1)
                revisit.escalated_at = due + timedelta(minutes=1)
                if outcome_roll < 0.75:  # on time
                    record_done(revisit, due - early, assignee_id, score, feedback, rng)
                elif outcome_roll < 0.88:  # done late
                    record_done(revisit, due + late, assignee_id, score, feedback, rng)
                elif outcome_roll < 0.95:
                    revisit.status = Revisit.Status.MISSED
                else:
                    revisit.status = Revisit.Status.CANCELLED
            batch.append(revisit)
    # ignore_conflicts: the keys make a second run a no-op.
    Revisit.objects.bulk_create(batch, batch_size=500, ignore_conflicts=True)
    ctx.say(f"  revisits: {len(batch)} planned or recorded (existing ones kept)")


def record_done(revisit, done_at, assignee_id, score, feedback, rng) -> None:
    """Fill in ``revisit`` as done (reached nine times in ten) by the demo."""
    reached = rng.random() < 0.9
    revisit.status = Revisit.Status.DONE
    revisit.done_at = done_at
    revisit.done_by_id = assignee_id
    revisit.outcome = (
        Revisit.Outcome.REACHED if reached else Revisit.Outcome.NOT_REACHED
    )
    revisit.satisfaction_score = score if reached else None
    revisit.feedback = feedback if reached else ""
