"""Reads of complaints (house style rule 4): every list or lookup of
complaints and their child rows made by the admin, the API, the pages, KPI and
the tasks starts here.

A scoped selector takes the reader (``user``: a staff member, or a partner's
API-key principal) and first narrows to what it may see
(``crm.scoping.visible_to``), then filters, then joins. A selector without a
``user`` is a *system read* for a sweep or task (no actor, unscoped by design);
its docstring begins with "System read".

Archived complaints (decision, docs/complaints.md "Reading complaints").
Archiving (``complaint_archive``: closed or rejected complaints, managers and
admins) tidies the staff work list; it is neither a deletion nor a status, and
it writes no customer-visible event. So the selectors *include* archived
complaints, and each reader decides:

- staff admin list: hidden by default — its "archived" list filter starts at
  "not archived" ("archived" / "all" show them); change pages, the customer's
  history, KPI drill-downs and notification links still open an archived one;
- API, staff and partners: included, unchanged — DESIGN §4 promises a partner
  its own complaints by reference; archiving must not turn one into a 404;
- KPI: included — a past period's figures must not change when a manager
  archives closed complaints;
- sweeps: nothing to decide — archived complaints are closed or rejected, so
  their SLA clocks are cancelled and no sweep selects them.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from complaints.models import (
    Article,
    CapaEvent,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintNote,
    ComplaintReply,
    CorrectiveAction,
    SatisfactionSurvey,
    SlaTarget,
)
from crm import scoping
from crm.models import Customer, CustomerExternalId, User
from crm.roles import Role

# CAPA statuses with work still to do (the overdue sweep's concern).
CAPA_UNFINISHED = (
    CorrectiveAction.Status.OPEN,
    CorrectiveAction.Status.IN_PROGRESS,
    CorrectiveAction.Status.INEFFECTIVE,
)

LIST_RELATED = ("customer", "category", "subcategory", "assignee", "team")
# Personal identifiers are decrypted on load; no complaint view shows them.
CUSTOMER_PII = ("customer__phone", "customer__email", "customer__address")
# Staff who work complaints: the assignee choices and the assignee list filter.
WORKER_ROLES = (Role.AGENT, Role.COMPLAINT_HANDLER, Role.SUPERVISOR, Role.MANAGER)


# --- complaints ---------------------------------------------------------------

# The work list's order: the next due time of the complaint's running clocks
# (``Complaint.next_due_at``, a stored generated column; NEVER_DUE when no clock
# runs, so those complaints sort last).
NEXT_DUE = F("next_due_at")


def complaint_list(*, user) -> QuerySet[Complaint]:
    """Complaints ``user`` may see, archived ones included (see the module
    docstring): the admin list and change pages, KPI pages."""
    return scoping.visible_to(user, Complaint.objects.all()).select_related(
        *LIST_RELATED
    )


# --- search by shape ------------------------------------------------------------
# The complaint search recognises what was typed and looks it up with one
# indexed query per shape (no ``OR`` across a join, which PostgreSQL can only
# answer by reading the whole table): a reference exactly (unique index); an
# order/waybill or customer number exactly (order-number and unique code
# indexes); a phone or e-mail through its lookup digest (the caller passes the
# customers found, see crm.selectors.identifier_lookup); other text in the
# customer's name and the subject, through the pg_trgm GIN indexes on
# PostgreSQL (config/trigram.py; plain ``icontains`` on SQLite).
REFERENCE_SHAPE = re.compile(r"^TS\d{12}$", re.IGNORECASE)
NUMBER_SHAPE = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9-]{5,39}$")
# Substring search needs a trigram: shorter terms match a name's beginning.
TRIGRAM_MIN = 3
# Customers named like a text term, at most (their complaints are then one
# ``customer_id IN (…)`` index read); a broader term should be refined.
NAMED_CUSTOMERS_MAX = 1000


def search_shape(term: str) -> str:
    """ "reference", "number" (order/waybill/customer number, or a phone's
    digits), "email" or "text"."""
    term = term.strip()
    if REFERENCE_SHAPE.match(term):
        return "reference"
    if "@" in term and " " not in term:
        return "email"
    digits = term.replace(" ", "").replace("-", "").lstrip("+")
    if NUMBER_SHAPE.match(term) or (digits.isdigit() and len(digits) >= 7):
        return "number"
    return "text"


def complaint_search(
    queryset: QuerySet[Complaint], term: str, *, identified: list[int] | None = None
) -> QuerySet[Complaint]:
    """The complaints of ``queryset`` (already scoped) matching ``term`` by its
    shape; ``identified``: ids of the customers whose phone or e-mail is the
    term (None when the term is neither or the reader may not search by them)."""
    term = term.strip()
    if not term:
        return queryset
    shape = search_shape(term)
    if shape == "reference":
        return queryset.filter(reference=term.upper())
    clauses = []
    if identified is not None:
        clauses.append(Q(customer_id__in=identified))
    if shape == "number":
        variants = sorted({term, term.upper()})
        clauses.append(Q(order_number__in=variants))
        by_code = list(
            Customer.objects.filter(code__in=variants).values_list("pk", flat=True)
        )
        if by_code:
            clauses.append(Q(customer_id__in=by_code))
    elif identified is None:
        long_enough = len(term) >= TRIGRAM_MIN
        lookup = "name__icontains" if long_enough else "name__istartswith"
        named = Customer.objects.filter(**{lookup: term})
        ids = list(named.values_list("pk", flat=True)[:NAMED_CUSTOMERS_MAX])
        if ids:
            clauses.append(Q(customer_id__in=ids))
        if long_enough:
            clauses.append(Q(subject__icontains=term))
    if not clauses:
        return queryset.none()
    return queryset.filter(reduce(or_, clauses))


def complaint_list_for_api(*, user) -> QuerySet[Complaint]:
    """Complaints ``user`` (staff or a partner's key) may see, archived ones
    included, shaped for the API: no customer identifiers loaded, and the
    customer's id at the partner that submitted the complaint
    (``customer_external_id``). List and detail alike: one query."""
    return (
        scoping.visible_to(user, Complaint.objects.all())
        .select_related("customer", "category", "subcategory")
        .defer(*CUSTOMER_PII)
        .annotate(customer_external_id=_partner_external_id())
    )


def _partner_external_id() -> Subquery:
    """The complaint's customer's id at the partner that submitted it."""
    return Subquery(
        CustomerExternalId.objects.filter(
            customer=OuterRef("customer_id"), partner=OuterRef("source_partner_id")
        ).values("external_id")[:1]
    )


def complaint_rows_for_api(*, user, fields: tuple[str, ...]) -> QuerySet:
    """``complaint_list_for_api`` as flat ``.values(*fields)`` rows (the list:
    no model instances). Same query; the unscoped part of it is built once per
    process (``_api_rows``) and only narrowed to ``user`` per call."""
    return scoping.visible_to(user, _api_rows(fields).all())


@functools.lru_cache(maxsize=8)
def _api_rows(fields: tuple[str, ...]) -> QuerySet:
    # A queryset is never changed in place (every filter() clones it) and this
    # one is never evaluated itself, so one per process serves every request;
    # building it (the select list, the subquery of the partner's customer id)
    # cost as much as the rest of the list's query building.
    return Complaint.objects.annotate(
        customer_external_id=_partner_external_id()
    ).values(*fields)


def complaint_timeline(
    *, user, complaint: Complaint, customer_visible_only: bool = False
) -> QuerySet[ComplaintEvent]:
    """The events of ``complaint`` that ``user`` may see, oldest first; only the
    customer-visible ones for a partner's timeline."""
    qs = scoping.visible_to(user, ComplaintEvent.objects.filter(complaint=complaint))
    if customer_visible_only:
        qs = qs.filter(customer_visible=True)
    return qs.order_by("created_at", "pk")


def complaint_worker_list(*, user) -> QuerySet[User]:
    """Active agents, handlers, supervisors and managers a complaint can be
    assigned to by ``user`` (the assignment service, the assignee choices and
    their autocomplete, the admin's assignee filter), by the reader's role:

    - supervisors and managers: the workers of their department (a supervisor
      hands a complaint of their hotline team to a handler of the complaints
      team), and any other worker they may see;
    - agents and handlers: themselves, and the handlers and supervisors of
      their department (to hand a complaint on);
    - anyone else: the workers they may see (``crm.scoping``).
    """
    workers = User.objects.filter(is_active=True, groups__name__in=WORKER_ROLES)
    reach = scoping.visible_to(user, workers)
    department = getattr(user, "department_id", None)
    roles = scoping.user_roles(user)
    if department is not None and not scoping.sees_everything(user):
        if roles & {Role.SUPERVISOR, Role.MANAGER}:
            reach = workers.filter(
                Q(department_id=department) | Q(pk__in=reach.values("pk"))
            )
        elif roles & {Role.AGENT, Role.COMPLAINT_HANDLER}:
            hand_to = User.objects.filter(
                department_id=department,
                groups__name__in=(Role.COMPLAINT_HANDLER, Role.SUPERVISOR),
            )
            reach = workers.filter(
                Q(pk__in=reach.values("pk")) | Q(pk__in=hand_to.values("pk"))
            )
    return reach.select_related("team").distinct().order_by("team__code", "name")


# --- child rows of a complaint (the complaint page's panels) ------------------


def complaint_event_list(*, user) -> QuerySet[ComplaintEvent]:
    """Timeline events of the complaints ``user`` may see (with their actor)."""
    return scoping.visible_to(user, ComplaintEvent.objects.all()).select_related(
        "actor"
    )


def complaint_reply_list(*, user) -> QuerySet[ComplaintReply]:
    """Replies to customers on the complaints ``user`` may see."""
    return scoping.visible_to(user, ComplaintReply.objects.all()).select_related(
        "author"
    )


def complaint_note_list(*, user) -> QuerySet[ComplaintNote]:
    """Internal notes on the complaints ``user`` may see."""
    return scoping.visible_to(user, ComplaintNote.objects.all()).select_related(
        "author"
    )


def complaint_attachment_list(*, user) -> QuerySet[ComplaintAttachment]:
    """Attachments of the complaints ``user`` may see (metadata; the files go
    out through ``attachment_for_download``)."""
    return scoping.visible_to(user, ComplaintAttachment.objects.all()).select_related(
        "uploaded_by"
    )


def sla_target_list(*, user) -> QuerySet[SlaTarget]:
    """SLA clocks of the complaints ``user`` may see, cancelled ones included
    (the complaint page shows every clock's life)."""
    return scoping.visible_to(user, SlaTarget.objects.all())


def satisfaction_survey_list(*, user) -> QuerySet[SatisfactionSurvey]:
    """Satisfaction surveys of the complaints ``user`` may see."""
    return scoping.visible_to(user, SatisfactionSurvey.objects.all()).select_related(
        "complaint"
    )


def capa_event_list(*, user) -> QuerySet[CapaEvent]:
    """History rows of the CAPA records ``user`` may see (with their actor)."""
    return scoping.visible_to(user, CapaEvent.objects.all()).select_related("actor")


def corrective_action_list(*, user) -> QuerySet[CorrectiveAction]:
    """CAPA records ``user`` may see (their department's, team's or own)."""
    return scoping.visible_to(user, CorrectiveAction.objects.all()).select_related(
        "owner"
    )


# --- figures and sweeps -------------------------------------------------------


def spike_complaints(*, since, until) -> QuerySet[Complaint]:
    """Complaints with a subcategory received in [since, until] and not linked
    to a CAPA the spike rule drafted yet (the spike sweep; not scoped)."""
    return Complaint.objects.filter(
        subcategory__isnull=False,
        department__isnull=False,
        received_at__gte=since,
        received_at__lte=until,
    ).exclude(corrective_actions__spike_key__isnull=False)


def capas_to_remind(*, today) -> QuerySet[CorrectiveAction]:
    """Unfinished CAPAs due by ``today`` (a local date) whose owner was not
    reminded yet (the overdue sweep; not scoped)."""
    return CorrectiveAction.objects.filter(
        status__in=CAPA_UNFINISHED, due_date__lte=today, due_reminded_at__isnull=True
    ).order_by("pk")


def capas_to_escalate(*, due_by) -> QuerySet[CorrectiveAction]:
    """Unfinished CAPAs due on or before ``due_by`` not escalated yet."""
    return CorrectiveAction.objects.filter(
        status__in=CAPA_UNFINISHED, due_date__lte=due_by, escalated_at__isnull=True
    ).order_by("pk")


def sla_targets(complaints: QuerySet[Complaint] | None = None) -> QuerySet[SlaTarget]:
    """SLA clocks (optionally of a set of complaints, already scoped by the
    caller), excluding cancelled ones: met on time ⇔ ``met_at <= due_at``;
    breached ⇔ ``breached_at`` set."""
    qs = SlaTarget.objects.filter(cancelled_at__isnull=True)
    if complaints is not None:
        qs = qs.filter(complaint__in=complaints)
    return qs


def _running_targets(**filters) -> QuerySet[SlaTarget]:
    return SlaTarget.objects.filter(
        met_at__isnull=True,
        cancelled_at__isnull=True,
        paused_at__isnull=True,
        **filters,
    )


# The sweep's two "what is due" reads filter on exactly the predicate of their
# partial index (``slatarget_warn_due`` / ``slatarget_breach_due``: running,
# not paused, not yet marked) and order by that index's column, so PostgreSQL
# reads the first rows of a small index whatever the size of the table (an
# ``ORDER BY id`` would walk the primary key over every target ever made).
# ``pk`` breaks ties only; the LIMIT is the caller's (``sweep.BATCH``).


def sla_targets_to_warn(*, now: datetime) -> QuerySet[SlaTarget]:
    """System read (the SLA sweep): running clocks past their warning point
    and not yet warned, earliest warning point first."""
    return _running_targets(warned_at__isnull=True, warn_at__lte=now).order_by(
        "warn_at", "pk"
    )


def sla_targets_to_breach(*, now: datetime) -> QuerySet[SlaTarget]:
    """System read (the SLA sweep): running clocks past their due time and not
    yet marked breached, earliest due first."""
    return _running_targets(breached_at__isnull=True, due_at__lt=now).order_by(
        "due_at", "pk"
    )


def open_complaints_under_policy(*, policy_id: int) -> QuerySet[Complaint]:
    """System read (SLA policy recompute): complaints still open under the
    policy ``policy_id``, by id."""
    return (
        Complaint.objects.filter(sla_policy_id=policy_id)
        # The final statuses (complaints.services.common.FINAL_STATUSES):
        # selectors sit below the services and do not import them.
        .exclude(status__in=(Complaint.Status.CLOSED, Complaint.Status.REJECTED))
        .order_by("pk")
    )


def complaints_to_auto_close(*, resolved_before: datetime) -> QuerySet[Complaint]:
    """System read (the auto-close job): resolved complaints, neither confirmed
    nor reopened, resolved before ``resolved_before``, oldest first."""
    return Complaint.objects.filter(
        status=Complaint.Status.RESOLVED,
        confirmed_at__isnull=True,
        resolved_at__lt=resolved_before,
    ).order_by("resolved_at", "pk")


def complaint_for_tracking(*, reference: str) -> Complaint | None:
    """System read (the public tracking page, no login): the complaint with this
    reference, or None. The page checks the caller's proof (the last digits of
    the phone or the e-mail) before it shows anything."""
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    return (
        Complaint.objects.filter(reference=reference).select_related("customer").first()
    )


def complaint_public_timeline(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    """System read (tracking page, after the caller's proof): the
    customer-visible events of ``complaint``, oldest first."""
    return ComplaintEvent.objects.filter(
        complaint=complaint, customer_visible=True
    ).order_by("created_at", "pk")


def complaint_public_targets(*, complaint: Complaint) -> QuerySet[SlaTarget]:
    """System read (tracking page): the running or met SLA clocks of
    ``complaint`` — the times promised to the customer."""
    return SlaTarget.objects.filter(
        complaint=complaint, cancelled_at__isnull=True
    ).order_by("due_at", "pk")


def complaint_for_survey(*, pk: int) -> Complaint | None:
    """System read (the public survey page, after the signed token was
    checked): the complaint ``pk`` with its customer."""
    return Complaint.objects.filter(pk=pk).select_related("customer").first()


def inbound_email_list(*, user) -> QuerySet:
    """Received e-mails ``user`` may read (administrators: all; the quarantine
    holds raw personal data, so no other role has the permission)."""
    from complaints.models import InboundEmail

    return scoping.visible_to(user, InboundEmail.objects.all()).select_related(
        "complaint"
    )


def capa_evidence_list(*, user) -> QuerySet:
    """Evidence files of the CAPA records ``user`` may see."""
    from complaints.models import CapaEvidence

    return scoping.visible_to(user, CapaEvidence.objects.all()).select_related(
        "uploaded_by"
    )


def capa_evidence_for_download(*, user, pk: int):
    """The evidence file ``pk`` if ``user`` may see CAPAs and its CAPA is in
    their scope, else None."""
    if not user.has_perm("complaints.view_correctiveaction"):
        return None
    return capa_evidence_list(user=user).filter(pk=pk).first()


def customer_message_list(*, user) -> QuerySet:
    """Messages to customers ``user`` may read (administrators: crm.roles gives
    no other role the permission; addresses and texts are personal data)."""
    from complaints.models import CustomerMessage

    return scoping.visible_to(user, CustomerMessage.objects.all()).select_related(
        "complaint"
    )


def attachment_for_download(*, user, pk: int):
    """The attachment ``pk`` if ``user`` may download it, else None: the user
    may view attachments and the complaint is in their scope (crm.scoping)."""
    from complaints.models import ComplaintAttachment

    if not user.has_perm("complaints.view_complaintattachment"):
        return None
    visible = scoping.visible_to(user, Complaint.objects.all())
    return (
        ComplaintAttachment.objects.filter(pk=pk, complaint__in=visible)
        .select_related("complaint")
        .first()
    )


# --- KPI sources ------------------------------------------------------------------
# The rows each KPI indicator counts for a period (kpi.measures). Unscoped: the
# snapshot measures every row once; readers see the results through crm.scoping
# on KpiResult, and a drill-down narrows these rows to a subject. Rejected
# complaints (duplicates, spam, not a complaint) count for no indicator.


def complaints_received_between(
    *, start, end, complaints: QuerySet[Complaint] | None = None
) -> QuerySet[Complaint]:
    """Complaints (of ``complaints``, default all) received in [start, end),
    rejected ones left out: what every complaint figure counts (the indicators,
    the dashboard's mix, the reporting pack)."""
    qs = Complaint.objects.all() if complaints is None else complaints
    return qs.filter(received_at__gte=start, received_at__lt=end).exclude(
        status=Complaint.Status.REJECTED
    )


def capas_fallen_due_between(*, start, end, today) -> QuerySet[CorrectiveAction]:
    """CAPAs due on a local date in [start, end) that has passed (before
    ``today``), cancelled ones left out (unscoped: the KPI ``capa_on_time_rate``)."""
    return CorrectiveAction.objects.filter(
        due_date__gte=start, due_date__lt=min(end, today)
    ).exclude(status=CorrectiveAction.Status.CANCELLED)


def capa_verifications_between(*, start, end) -> QuerySet[CapaEvent]:
    """Effectiveness checks of CAPAs recorded in [start, end), one row per check
    (an action found not effective and checked again counts twice)."""
    return CapaEvent.objects.filter(
        kind=CapaEvent.Kind.VERIFIED, created_at__gte=start, created_at__lt=end
    )


def complaints_first_resolved_between(*, start, end) -> QuerySet[Complaint]:
    """Complaints first resolved in [start, end), rejected ones left out."""
    return Complaint.objects.filter(
        first_resolved_at__gte=start, first_resolved_at__lt=end
    ).exclude(status=Complaint.Status.REJECTED)


def sla_targets_fallen_due(
    *, start, end, targets: QuerySet[SlaTarget] | None = None
) -> QuerySet[SlaTarget]:
    """SLA clocks due in [start, end) (``end`` no later than now: a clock falls
    due once its due time has passed), of ``targets`` if given.

    Cancelled clocks (rejected or closed complaint, a confirmation superseded by
    a reopen) count neither way; a clock paused on hold and not yet met has not
    fallen due (its due time moves when the complaint resumes); clocks of
    rejected complaints are left out.
    """
    qs = SlaTarget.objects.all() if targets is None else targets
    return (
        qs.filter(due_at__gte=start, due_at__lt=end, cancelled_at__isnull=True)
        .filter(Q(met_at__isnull=False) | Q(paused_at__isnull=True))
        .exclude(complaint__status=Complaint.Status.REJECTED)
    )


def surveys_answered_between(*, start, end) -> QuerySet[SatisfactionSurvey]:
    """Satisfaction surveys answered in [start, end)."""
    return SatisfactionSurvey.objects.filter(
        answered_at__gte=start, answered_at__lt=end
    )


def failed_deliveries(*, user) -> tuple[QuerySet, QuerySet]:
    """The failed-deliveries page (administrators): (failed staff notification
    e-mails of every recipient, failed messages to customers), newest first;
    both empty for anyone else."""
    from complaints.models import CustomerMessage
    from complaints.services.permissions import has_role
    from crm.models import Notification

    if user is None or not has_role(user, frozenset({Role.ADMIN})):
        return Notification.objects.none(), CustomerMessage.objects.none()
    emails = (
        Notification.objects.filter(email_status=Notification.EmailStatus.FAILED)
        .select_related("recipient")
        .order_by("-created_at", "-pk")
    )
    messages = (
        customer_message_list(user=user)
        .filter(status=CustomerMessage.Status.FAILED)
        .order_by("-created_at", "-pk")
    )
    return emails, messages


# --- the home page (kpi.home) -------------------------------------------------

# Open complaints this close to their next due time are "at risk" on the home.
AT_RISK_WITHIN = timedelta(hours=2)


def my_open_complaints(*, user) -> QuerySet[Complaint]:
    """``user``'s own open complaints, the next SLA due first (``next_due``
    annotated; NEVER_DUE when no clock runs): an agent's or handler's desk."""
    from complaints.services.common import OPEN_STATUSES

    return (
        complaint_list(user=user)
        .filter(assignee=user, status__in=OPEN_STATUSES)
        .annotate(next_due=NEXT_DUE)
        .order_by("next_due", "received_at")
    )


def my_status_counts(*, user) -> dict[str, int]:
    """How many of ``user``'s own open complaints are in each status."""
    from django.db.models import Count

    rows = (
        my_open_complaints(user=user)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return dict(rows)


def team_queue(*, user, now: datetime) -> dict[str, list[Complaint]]:
    """A supervisor's queue among the open complaints ``user`` may see:
    ``unassigned`` (oldest first) and ``at_risk`` (assigned, next due within
    AT_RISK_WITHIN or overdue, soonest first), 20 of each."""
    from complaints.services.common import OPEN_STATUSES

    open_ = (
        complaint_list(user=user)
        .filter(status__in=OPEN_STATUSES, is_archived=False)
        .annotate(next_due=NEXT_DUE)
    )
    return {
        "unassigned": list(
            open_.filter(assignee__isnull=True).order_by("received_at")[:20]
        ),
        "at_risk": list(
            open_.filter(
                assignee__isnull=False, next_due__lt=now + AT_RISK_WITHIN
            ).order_by("next_due")[:20]
        ),
    }


# Whom the home's one-click assignment offers at most (one drop-down per row).
DESK_ASSIGNEES_MAX = 100
# The roles that own complaints day to day (supervisors and managers assign).
OWNER_ROLES = (Role.AGENT, Role.COMPLAINT_HANDLER)


def desk_assignees(*, user) -> QuerySet[User]:
    """Whom ``user`` may assign a complaint to in one click on the home: the
    agents and complaint handlers among ``complaint_worker_list`` (exactly the
    people ``complaint_assign`` accepts from ``user``), narrowed for a
    supervisor to the members of their teams (their own and those they
    supervise) and the complaint handlers of their department (to whom a
    hotline team hands complaints on). Managers and administrators get the
    agents and handlers of their reach. By team and name; the home shows the
    first DESK_ASSIGNEES_MAX."""
    owners = User.objects.filter(groups__name__in=OWNER_ROLES)
    people = complaint_worker_list(user=user).filter(pk__in=owners.values("pk"))
    if scoping.has_role(user, Role.SUPERVISOR) and not scoping.sees_everything(user):
        mine = Q(team__supervisor=user)
        if user.team_id is not None:
            mine |= Q(team_id=user.team_id)
        if user.department_id is not None:
            handlers = User.objects.filter(groups__name=Role.COMPLAINT_HANDLER)
            mine |= Q(department_id=user.department_id, pk__in=handlers.values("pk"))
        people = people.filter(mine)
    return people


# --- knowledge base (知识库) ------------------------------------------------------

# Suggestions for a complaint: at most this many, from at most this many words
# of its subject (Chinese: its two-character words, as Chinese has no spaces).
SUGGESTIONS = 5
SUBJECT_WORDS_MAX = 24
_WORD_RUNS = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]{3,}")


def article_list(*, user) -> QuerySet[Article]:
    """The knowledge articles ``user`` may read: every article for editors
    (supervisors, managers, administrators), the published ones for the rest."""
    rows = scoping.visible_to(user, Article.objects.all()).select_related("owner")
    if not user.has_perm("complaints.change_article"):
        rows = rows.filter(status=Article.Status.PUBLISHED)
    return rows


def article_search(queryset: QuerySet[Article], term: str) -> QuerySet[Article]:
    """The articles of ``queryset`` (already narrowed to the reader) with every
    word of ``term`` in their title, problem, solution or keywords
    (``icontains``: the knowledge base is small, no trigram index needed)."""
    for word in term.split():
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(problem__icontains=word)
            | Q(solution__icontains=word)
            | Q(keywords__icontains=word)
        )
    return queryset


def subject_words(subject: str) -> list[str]:
    """The words of a complaint's subject that suggestions look for: each
    two-character word of a Chinese run, each Latin word of 3+ letters."""
    words: list[str] = []
    for run in _WORD_RUNS.findall(subject or ""):
        if run.isascii():
            words.append(run.lower())
        else:
            words.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(words))[:SUBJECT_WORDS_MAX]


def _default_article_language() -> str:
    configured = (settings.KEFU_MESSAGE_LANGUAGE or "").lower()
    return configured if configured in Article.Language.values else "zh-hans"


def complaint_language(complaint: Complaint):
    """The language ``complaint`` is answered in: its customer's preferred
    language, else the messages' default (KEFU_MESSAGE_LANGUAGE), else Chinese.
    A value when the customer is loaded, else an expression (no extra query)."""
    default = _default_article_language()
    if Complaint.customer.is_cached(complaint):
        preferred = (
            getattr(complaint.customer, "preferred_language", "") or ""
        ).lower()
        return preferred if preferred in Article.Language.values else default
    preferred = Customer.objects.filter(pk=complaint.customer_id).values(
        "preferred_language"
    )[:1]
    return Coalesce(NullIf(Subquery(preferred), Value("")), Value(default))


def article_suggestions(*, user, complaint: Complaint) -> list[Article]:
    """Up to ``SUGGESTIONS`` published articles for ``complaint`` (one query):
    those of its category or subcategory and those whose title or keywords
    contain words of its subject; ranked by the complaint's language
    (``complaint_language``: articles in it first, the others after), then by
    category, then by words found, then by use."""
    categories = [c for c in (complaint.category_id, complaint.subcategory_id) if c]
    language = complaint_language(complaint)
    same_language = Case(
        When(language=language, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    in_category = Exists(
        Article.categories.through.objects.filter(
            article_id=OuterRef("pk"), category_id__in=categories
        )
    )
    hits = [
        Case(
            When(Q(title__icontains=w) | Q(keywords__icontains=w), then=Value(1)),
            default=Value(0),
        )
        for w in subject_words(complaint.subject)
    ]
    rows = (
        article_list(user=user)
        .filter(status=Article.Status.PUBLISHED)
        .annotate(
            in_category=in_category,
            hits=reduce(lambda a, b: a + b, hits) if hits else Value(0),
            same_language=same_language,
        )
        .filter(Q(in_category=True) | Q(hits__gt=0))
        .order_by(
            "-same_language", "-in_category", "-hits", "-used_count", "title", "pk"
        )
        .select_related(None)
        .only("pk", "title", "problem", "used_count", "version")
    )
    return list(rows[:SUGGESTIONS])


def articles_to_review(*, today) -> QuerySet:
    """System read (the daily review reminder): ``(pk, review_date)`` of the
    articles not retired whose review date has passed and whose owner was not
    yet reminded of that date."""
    return (
        Article.objects.exclude(status=Article.Status.RETIRED)
        .filter(review_date__lt=today)
        .filter(
            Q(review_reminded_for__isnull=True)
            | ~Q(review_reminded_for=F("review_date"))
        )
        .order_by("pk")
        .values_list("pk", "review_date")
    )
