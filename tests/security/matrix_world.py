"""The organisation the role matrix runs against, built once per test module.

Two departments (A, B) with one team each and one staff member per role on both
sides, a superuser and an administrator, two partners with an API key each, and
for every admin model one row on side A (inside the A principals' scope) and one
on side B (outside it). Rows are made through factories and public services, so
that scoping paths (department, team, owner, partner) are filled the way the
portal fills them; models are reached through the app registry, never through
module paths inside the apps.

``World.get(name)`` answers a row by the name the matrix table uses.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    PartnerFactory,
    TeamFactory,
    UserFactory,
)
from tests.factories.complaints import AssignmentRuleFactory, make_complaint, walk
from tests.factories.crm import ContactFactory, InteractionFactory, RevisitFactory
from tests.factories.kpi import month
from tests.factories.partners import WebhookEndpointFactory, make_api_key
from tests.factories.training import (
    CourseFactory,
    TrainingRequirementFactory,
    TrainingSessionFactory,
)

# The staff roles of side A / B, as in tests/conftest.py's ``org``.
SIDE_ROLES = (
    "manager",
    "supervisor",
    "agent",
    "complaint_handler",
    "account_manager",
    "relations_specialist",
    "qa_inspector",
    "trainer",
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 2
SCORES_OF = "CHECKLIST"  # QualityInspection.CHECKLIST: the scored items


def model(label: str):
    return apps.get_model(label)


class World:
    """Named rows of the matrix organisation (attributes and ``get``)."""

    def get(self, name: str):
        return getattr(self, name)


def _services(app: str):
    """An app's public service package (``<app>.services``)."""
    import importlib

    return importlib.import_module(f"{app}.services")


def build_world() -> World:
    from rest_framework.authtoken.models import Token

    from crm.notifications import notify

    crm = _services("crm")
    complaints = _services("complaints")
    training = _services("training")
    kpi = _services("kpi")
    now = timezone.now()
    today = timezone.localdate()
    w = World()

    # --- organisation and principals ----------------------------------------------
    w.dept_a = DepartmentFactory(code="mx-dept-a", name="华东")
    w.dept_b = DepartmentFactory(code="mx-dept-b", name="华南")
    w.team_a = TeamFactory(code="mx-team-a", department=w.dept_a)
    w.team_b = TeamFactory(code="mx-team-b", department=w.dept_b)
    for side, team in (("a", w.team_a), ("b", w.team_b)):
        for role in SIDE_ROLES:
            user = UserFactory(username=f"mx_{role}_{side}", team=team, roles=[role])
            setattr(w, f"{role}_{side}", user)
        team.supervisor = w.get(f"supervisor_{side}")
        team.save(update_fields=["supervisor"])
    w.admin = UserFactory(username="mx_admin", roles=["admin"])
    # another administrator: out of the first one's reach (equal rank)
    w.admin_peer = UserFactory(username="mx_admin_peer", roles=["admin"])
    w.superuser = UserFactory(username="mx_root", is_superuser=True)
    w.partner_a = PartnerFactory(code="mx-suda", name="速达商城")
    w.partner_b = PartnerFactory(code="mx-yunhai", name="云海物流")
    w.key_a, w.raw_key_a = make_api_key(partner=w.partner_a, name="matrix a")
    w.key_b, w.raw_key_b = make_api_key(partner=w.partner_b, name="matrix b")
    # Webhook endpoints first: partner complaints then leave deliveries in the log.
    w.endpoint_a = WebhookEndpointFactory(
        partner=w.partner_a, url="https://hooks.suda.example.cn/kefu"
    )
    w.endpoint_b = WebhookEndpointFactory(
        partner=w.partner_b, url="https://hooks.yunhai.example.cn/kefu"
    )
    w.role_group = Group.objects.get(name="agent")
    # API tokens: a manager's (staff token auth), an agent's and the superuser's.
    w.token_manager = Token.objects.create(user=w.manager_a)
    w.token_agent = Token.objects.create(user=w.agent_a)
    w.token_b = Token.objects.create(user=w.agent_b)
    w.token_root = Token.objects.create(user=w.superuser)

    # --- customers and their rows ----------------------------------------------------
    w.cust_a = CustomerFactory(owner=w.account_manager_a, name="甲方客户")
    w.cust_b = CustomerFactory(owner=w.account_manager_b, name="乙方客户")
    w.pcust_a = CustomerFactory(partner=w.partner_a, name="速达客户")
    w.pcust_b = CustomerFactory(partner=w.partner_b, name="云海客户")
    w.contact_a = ContactFactory(customer=w.cust_a)
    w.contact_b = ContactFactory(customer=w.cust_b)
    w.int_a = InteractionFactory(customer=w.cust_a, staff=w.agent_a)
    w.int_b = InteractionFactory(customer=w.cust_b, staff=w.agent_b)
    w.rev_a = RevisitFactory(customer=w.cust_a, assignee=w.relations_specialist_a)
    w.rev_b = RevisitFactory(customer=w.cust_b, assignee=w.relations_specialist_b)
    # front-line staff see the revisits assigned to them
    w.rev_agent = RevisitFactory(customer=w.cust_a, assignee=w.agent_a)
    w.rev_handler = RevisitFactory(customer=w.cust_a, assignee=w.complaint_handler_a)
    w.revisit_rule = model("crm.RevisitRule").objects.create(
        name="季度回访",
        trigger="periodic",
        purpose="satisfaction",
        method="phone",
    )
    w.privacy_a = crm.privacy_request_create(
        actor=w.manager_a, customer=w.cust_a, kind="export", requested_by="本人"
    )
    w.privacy_b = crm.privacy_request_create(
        actor=w.manager_b, customer=w.cust_b, kind="export", requested_by="本人"
    )
    w.access_a = crm.personal_data_access_log(
        actor=w.manager_a, customer=w.cust_a, action="view", note="matrix"
    )
    w.access_b = crm.personal_data_access_log(
        actor=w.manager_b, customer=w.cust_b, action="view", note="matrix"
    )

    # --- complaints --------------------------------------------------------------------
    # Received by the supervisor of team A, unassigned (an agent who registers one
    # keeps it): the whole of team A, the department's readers and the
    # customer's account manager see it.
    w.comp_a = make_complaint(actor=w.supervisor_a, customer=w.cust_a)
    w.comp_b = make_complaint(actor=w.supervisor_b, customer=w.cust_b)
    # A partner's complaints, resolved so that the partner may post feedback.
    w.pcomp_a = walk(
        make_complaint(customer=w.pcust_a, source_partner=w.partner_a),
        "resolved",
        actor=w.admin,
    )
    w.pcomp_b = walk(
        make_complaint(customer=w.pcust_b, source_partner=w.partner_b),
        "resolved",
        actor=w.admin,
    )
    # Resolved (so they carry a satisfaction survey), still unassigned.
    w.resolved_a = walk(
        make_complaint(actor=w.supervisor_a, customer=w.cust_a),
        "resolved",
        actor=w.admin,
    )
    w.resolved_b = walk(
        make_complaint(actor=w.supervisor_b, customer=w.cust_b),
        "resolved",
        actor=w.admin,
    )
    survey = model("complaints.SatisfactionSurvey").objects
    w.survey_a = survey.get(complaint=w.resolved_a)
    w.survey_b = survey.get(complaint=w.resolved_b)
    w.attachment_a = complaints.complaint_attach(
        actor=w.agent_a,
        complaint=w.comp_a,
        file=SimpleUploadedFile("破损照片.jpg", JPEG, "image/jpeg"),
    )
    w.attachment_b = complaints.complaint_attach(
        actor=w.agent_b,
        complaint=w.comp_b,
        file=SimpleUploadedFile("破损照片.jpg", JPEG, "image/jpeg"),
    )
    due = today + timedelta(days=14)
    w.capa_a = complaints.capa_create(
        actor=w.complaint_handler_a,
        title="派送培训",
        root_cause="派送员未按约定时间派送",
        action="复训",
        owner=w.complaint_handler_a,
        due_date=due,
        complaints=[w.comp_a],
    )
    w.capa_b = complaints.capa_create(
        actor=w.complaint_handler_b,
        title="派送培训",
        root_cause="派送员未按约定时间派送",
        action="复训",
        owner=w.complaint_handler_b,
        due_date=due,
        complaints=[w.comp_b],
    )
    w.evidence_a = complaints.capa_attach_evidence(
        actor=w.complaint_handler_a,
        capa=w.capa_a,
        file=SimpleUploadedFile("培训签到表.jpg", JPEG, "image/jpeg"),
    )
    w.evidence_b = complaints.capa_attach_evidence(
        actor=w.complaint_handler_b,
        capa=w.capa_b,
        file=SimpleUploadedFile("培训签到表.jpg", JPEG, "image/jpeg"),
    )
    w.category = model("complaints.Category").objects.get(code="service_quality")
    w.calendar = model("complaints.BusinessCalendar").objects.get(is_default=True)
    w.calendar_day = model("complaints.CalendarDay").objects.create(
        calendar=w.calendar, date=today + timedelta(days=400), kind="holiday"
    )
    w.sla_policy = model("complaints.SlaPolicy").objects.order_by("pk").first()
    # Created after the complaints: it must not route them.
    w.assignment_rule = AssignmentRuleFactory(
        team=w.team_b, channel="letter", auto_assign=False, is_active=False
    )

    # --- training ----------------------------------------------------------------------
    w.course = CourseFactory(code="mx-course")
    w.session = TrainingSessionFactory(course=w.course)
    w.requirement = TrainingRequirementFactory(role="agent", yearly_hours=Decimal(80))
    for side in ("a", "b"):
        staff = w.get(f"agent_{side}")
        enrollment, _created = training.enrollment_create(
            actor=w.trainer_a, session=w.session, staff=staff
        )
        setattr(w, f"enrollment_{side}", enrollment)
        setattr(
            w,
            f"assessment_{side}",
            training.assessment_schedule(
                actor=w.trainer_a,
                staff=staff,
                course=w.course,
                kind="knowledge",
                due_on=today + timedelta(days=7),
            ),
        )
        setattr(
            w,
            f"certification_{side}",
            training.certification_issue(
                actor=w.trainer_a,
                staff=staff,
                qualification="客户服务专员资格证",
                issued_on=today - timedelta(days=10),
                expires_on=today + timedelta(days=355),
            ),
        )
        assignment, _created = training.assignment_create(
            actor=w.trainer_a, staff=staff, course=w.course, reason="other"
        )
        setattr(w, f"assignment_{side}", assignment)
        events = model("training.TrainingEvent").objects.filter(staff=staff)
        setattr(w, f"training_event_{side}", events.order_by("pk").first())

    # --- KPI -------------------------------------------------------------------------------
    inspection = model("kpi.QualityInspection")
    scores = dict.fromkeys(getattr(inspection, SCORES_OF), 8)
    w.inspection_a = kpi.inspection_record(
        actor=w.qa_inspector_a, interaction=w.int_a, scores=scores
    )
    w.inspection_b = kpi.inspection_record(
        actor=w.qa_inspector_b, interaction=w.int_b, scores=scores
    )
    w.period = month(today.year, today.month)
    kpi.kpi_compute_period(actor=None, period=w.period, now=now)
    w.period.refresh_from_db()
    results = model("kpi.KpiResult").objects.filter(period=w.period)
    cards = model("kpi.ScorecardResult").objects.filter(period=w.period)
    w.indicator = model("kpi.Indicator").objects.order_by("sort_order").first()
    w.scorecard_template = model("kpi.ScorecardTemplate").objects.order_by("pk").first()
    for side in ("a", "b"):
        staff = w.get(f"agent_{side}")
        mine = results.filter(staff=staff, subject_type="staff")
        setattr(w, f"kpi_result_{side}", mine.order_by("pk").first())
        setattr(w, f"scorecard_{side}", cards.filter(staff=staff).first())
    w.kpi_result_handler = (
        results.filter(staff=w.complaint_handler_a, subject_type="staff")
        .order_by("pk")
        .first()
    )
    w.scorecard_handler = cards.filter(staff=w.complaint_handler_a).first()

    # --- service-standard audits: one team audit per side, opened by the cadence -----------
    from kpi.services.audits import audits_open_due

    plan_model = model("kpi.AuditPlan")
    for side in ("a", "b"):
        setattr(
            w,
            f"audit_plan_{side}",
            plan_model.objects.create(
                name=f"mx-audit-{side}",
                department=w.get(f"dept_{side}"),
                team=w.get(f"team_{side}"),
                auditor=w.get(f"qa_inspector_{side}"),
                checklist="使用标准问候语\n投诉 48 小时内答复客户",
            ),
        )
    audits_open_due(today=today)
    audits = model("kpi.ServiceAudit").objects
    w.audit_a = audits.get(plan=w.audit_plan_a)
    w.audit_b = audits.get(plan=w.audit_plan_b)

    # --- 质检: the call checklist, a sampling plan and a queued sample per side --------
    w.checklist = model("kpi.Checklist").objects.get(code="call", is_active=True)
    sampling = model("kpi.SamplingPlan")
    for side in ("a", "b"):
        plan = sampling.objects.create(
            name=f"mx-sampling-{side}",
            team=w.get(f"team_{side}"),
            checklist=w.checklist,
        )
        plan.inspectors.set([w.get(f"qa_inspector_{side}")])
        setattr(w, f"sampling_plan_{side}", plan)
        complaint = w.get(f"comp_{side}")
        setattr(
            w,
            f"sample_{side}",
            model("kpi.InspectionSample").objects.create(
                plan=plan,
                period_key=f"{today:%Y-%m}",
                period_start=today.replace(day=1),
                complaint=complaint,
                staff=w.get(f"agent_{side}"),
                team=w.get(f"team_{side}"),
                inspector=w.get(f"qa_inspector_{side}"),
                drawn_on=today,
            ),
        )

    # --- notifications: everyone's own inbox ----------------------------------------------
    for name in ("admin", "superuser", *(f"{r}_a" for r in SIDE_ROLES), "agent_b"):
        row, _created = notify(
            recipient=w.get(name),
            kind="matrix",
            title="矩阵测试通知",
            key=f"matrix:{name}",
            email=False,
        )
        setattr(w, f"notification_{name}", row)

    # --- partners' delivery log and the login lockout log ------------------------------------
    delivery = model("partners.WebhookDelivery").objects
    w.delivery_a = delivery.filter(endpoint=w.endpoint_a).order_by("pk").first()
    w.delivery_b = delivery.filter(endpoint=w.endpoint_b).order_by("pk").first()
    attempt = {"ip_address": "203.0.113.9", "user_agent": "matrix", "path_info": "/"}
    w.access_attempt = model("axes.AccessAttempt").objects.create(
        username="mx_agent_a",
        failures_since_start=1,
        get_data="",
        post_data="",
        **attempt,
    )
    w.access_log = model("axes.AccessLog").objects.create(
        username="mx_agent_a", **attempt
    )
    w.access_failure = model("axes.AccessFailureLog").objects.create(
        username="mx_agent_a", locked_out=False, **attempt
    )
    # --- received e-mail: one quarantined message ---------------------------------------------
    from complaints.services.inbound import inbound_email_receive

    w.inbound_a, _created = inbound_email_receive(
        raw=b"From: nobody\r\nSubject: matrix\r\n\r\nno sender address\r\n",
        source="webhook",
    )
    # --- messages to customers: comp_a's acknowledgement, and one template -----------------
    messages = model("complaints.CustomerMessage").objects
    w.message_a = messages.filter(complaint=w.comp_a).order_by("pk").first() or (
        messages.create(
            complaint=w.comp_a,
            kind="acknowledgement",
            trigger_key="matrix",
            channel="sms",
            address="13800000000",
            body="matrix",
        )
    )
    w.message_template = model("complaints.MessageTemplate").objects.create(
        kind="acknowledgement", channel="sms", language="zh-hans", body="{reference}"
    )
    _aftersales(w, today)
    w.phrase = model("complaints.Phrase").objects.create(
        code="matrix", step="greeting", text_zh="{customer_name}您好"
    )
    articles = model("complaints.Article").objects
    w.article = articles.create(
        title="matrix",
        problem="p",
        solution="s",
        owner=w.supervisor_a,
        review_date=today,
        status="published",
    )
    w.article_draft = articles.create(
        title="matrix draft",
        problem="p",
        solution="s",
        owner=w.supervisor_a,
        review_date=today,
        status="draft",
    )
    return w


def _aftersales(w: World, today) -> None:
    """Service orders (approved installations: bookable), a technician of team
    A with a roomy slot, one policy row. ``so_a`` is team A's unassigned order
    (the desk pool), ``so_b`` department B's, ``pso_a``/``pso_b`` the partners'."""
    from datetime import time

    from crm.notifications import notify

    aftersales = _services("aftersales")
    tech_user = UserFactory(
        username="mx_technician_a", team=w.team_a, roles=["technician"]
    )
    # the role's user (``{role}_a`` like every staff principal), its own
    # notification (as everyone's) and its profile
    w.technician_a = tech_user
    w.notification_technician_a, _created = notify(
        recipient=tech_user,
        kind="matrix",
        title="矩阵测试通知",
        key="matrix:technician_a",
        email=False,
    )
    w.technician_profile_a = model("aftersales.Technician").objects.create(
        user=tech_user, department=w.dept_a, skills=["installation"], areas=["浦东"]
    )
    w.slot_a = model("aftersales.AppointmentSlot").objects.create(
        technician=w.technician_profile_a,
        date=today + timedelta(days=1),
        start=time(9),
        end=time(11),
        area="浦东",
        kind="installation",
        capacity=20,
    )

    def order(actor, customer, partner=None):
        made = aftersales.order_create(
            actor=actor,
            partner=partner,
            kind="installation",
            customer=customer,
            product_name="净水器 W5",
        )
        return aftersales.order_transition(
            actor=w.admin, order=made, to_status="approved"
        )

    # department B's technician and slot: the visit of ``appointment_b`` is
    # neither side A's nor technician A's
    tech_b = UserFactory(
        username="mx_technician_b", team=w.team_b, roles=["technician"]
    )
    w.technician_profile_b = model("aftersales.Technician").objects.create(
        user=tech_b, department=w.dept_b, skills=["installation"], areas=["浦东"]
    )
    slot_b = model("aftersales.AppointmentSlot").objects.create(
        technician=w.technician_profile_b,
        date=today + timedelta(days=1),
        start=time(9),
        end=time(11),
        area="浦东",
        kind="installation",
        capacity=5,
    )

    orders = model("aftersales.ServiceOrder").objects
    w.so_a = order(w.agent_a, w.cust_a)
    w.so_b = order(w.agent_b, w.cust_b)
    # booked visits (the day list): team A's (technician A's visit) and
    # department B's (technician B's)
    booked_a, booked_b = order(w.agent_a, w.cust_a), order(w.agent_b, w.cust_b)
    w.appointment_a = aftersales.appointment_book(
        actor=w.admin, order=booked_a, slot=w.slot_a
    )
    w.appointment_b = aftersales.appointment_book(
        actor=w.admin, order=booked_b, slot=slot_b
    )
    # team A's desk pool: unassigned orders (agents and handlers of the team)
    orders.filter(pk__in=[w.so_a.pk, booked_a.pk]).update(owner=None)
    w.so_a.refresh_from_db()
    # technician A's own visit: the service order a technician reaches
    w.so_visit_a = orders.get(pk=booked_a.pk)
    w.return_policy = model("aftersales.ReturnPolicy").objects.create(
        kind="return", window_days=7, description="7天无理由退货"
    )
    w.pso_a = order(None, w.pcust_a, w.partner_a)
    w.pso_b = order(None, w.pcust_b, w.partner_b)
