"""The role matrix of issue 11: who reaches which URL, as tables.

Read with docs/security.md ("Roles and their reach"). Columns are principals:

    ADM   administrator (role group ``admin``; a superuser is checked apart, below)
    MGR   customer-service manager of department A
    SUP   supervisor of team A (department A)
    AGT   agent of team A
    HDL   complaint handler of team A
    AM    account manager of department A
    RS    customer-relations specialist of department A
    QA    QA inspector of department A
    TRN   trainer of department A
    TEC   after-sales engineer (售后工程师) of team A: their own visits only
    ANON  nobody signed in
    KEY   partner A's API key (``Authorization: Api-Key``; no session)

Rows name a URL and, for URLs of one object, which object: ``in`` is a row inside
the principal's scope (side A, or the principal's own row: ``ADMIN_OBJECTS``),
``out`` one outside it (department B, team B, another owner, partner B). Each cell
is the expected answer:

    200 201 204     served (for a POST: see the row's note)
    302             redirected elsewhere than the login page: in the admin, an
                    object out of reach sends to the admin index with the message
                    "… doesn't exist" (the same answer as for an id that does not
                    exist, so nothing is confirmed); other 302s are named per row
    LOG             302 to the login page (``/admin/login/?next=…``)
    400 401 403 404 405 409   refused: nothing is shown and nothing changes

The test (``test_role_matrix.py``) runs every cell, asserts the status, that a
refused answer shows nothing of the object and that a refused write changed
nothing; a URL of the project without a row here fails it.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- principals ----------------------------------------------------------------------

ADM, MGR, SUP, AGT, HDL, AM, RS, QA, TRN, TEC, ANON, KEY = (
    "ADM",
    "MGR",
    "SUP",
    "AGT",
    "HDL",
    "AM",
    "RS",
    "QA",
    "TRN",
    "TEC",
    "ANON",
    "KEY",
)
COLUMNS = (ADM, MGR, SUP, AGT, HDL, AM, RS, QA, TRN, TEC, ANON, KEY)
STAFF_ALL = (ADM, MGR, SUP, AGT, HDL, AM, RS, QA, TRN, TEC)
SIGNED_OUT = (ANON, KEY)
# The world's row (tests/security/matrix_world.py) behind each staff principal.
PRINCIPAL_USER = {
    ADM: "admin",
    MGR: "manager_a",
    SUP: "supervisor_a",
    AGT: "agent_a",
    HDL: "complaint_handler_a",
    AM: "account_manager_a",
    RS: "relations_specialist_a",
    QA: "qa_inspector_a",
    TRN: "trainer_a",
    TEC: "technician_a",
}
STATUSES = {"200", "201", "204", "302", "400", "401", "403", "404", "405", "409"}
LOGIN = "LOG"


def table(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """Parse a table: a header line naming the columns after two label columns,
    then one line per row: ``subject  kind…  cell cell …``. A line that starts
    with blank space continues the subject of the line above; ``#`` starts a
    comment."""
    lines = [line.split("#")[0].rstrip() for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    header = lines[0].split()
    columns = header[-len(COLUMNS) :]
    assert tuple(columns) == COLUMNS, header
    rows: dict[tuple[str, str], dict[str, str]] = {}
    subject = None
    for line in lines[1:]:
        tokens = line.split()
        if not line[0].isspace():
            subject, tokens = tokens[0], tokens[1:]
        cells, kind = tokens[-len(COLUMNS) :], " ".join(tokens[: -len(COLUMNS)])
        assert subject and kind, line
        assert all(c in STATUSES or c == LOGIN for c in cells), line
        key = (subject, kind)
        assert key not in rows, f"row twice: {key}"
        rows[key] = dict(zip(COLUMNS, cells, strict=True))
    return rows


# --- the admin: objects --------------------------------------------------------------------

# Per admin model: the world's row inside the A principals' scope and the row
# outside it (None: the model has no rows out of anyone's reach — configuration
# every staff role may read, or rows only administrators reach). ``inside`` may
# be a dict per principal ("*" for the rest): front-line staff and specialists see
# only their own revisits, results and training record, everyone only their own
# notifications. OWN: the principal's own notification; SELF: their own account.
OWN = "own notification"
SELF = "own account"

ADMIN_OBJECTS: dict[str, tuple[str | dict[str, str], str | None]] = {
    # technician A's own visit is appointment_a; appointment_b is technician B's
    "aftersales.appointment": ("appointment_a", "appointment_b"),
    "aftersales.appointmentslot": ("slot_a", None),
    "aftersales.returnpolicy": ("return_policy", None),
    # the technician reaches the orders of their own visits only
    "aftersales.serviceorder": ({"*": "so_a", TEC: "so_visit_a"}, "so_b"),
    "aftersales.technician": ("technician_profile_a", None),
    "auth.group": ("role_group", None),
    # the token of the agent (administrators manage it) and the superuser's
    "authtoken.tokenproxy": ("token_agent", "token_root"),
    "axes.accessattempt": ("access_attempt", None),
    "axes.accessfailurelog": ("access_failure", None),
    "axes.accesslog": ("access_log", None),
    "complaints.article": ("article", "article_draft"),
    "complaints.assignmentrule": ("assignment_rule", None),
    "complaints.businesscalendar": ("calendar", None),
    "complaints.calendarday": ("calendar_day", None),
    "complaints.category": ("category", None),
    "complaints.complaint": ("comp_a", "comp_b"),
    "complaints.correctiveaction": ("capa_a", "capa_b"),
    "complaints.inboundemail": ("inbound_a", None),
    "complaints.customermessage": ("message_a", None),
    "complaints.messagetemplate": ("message_template", None),
    "complaints.phrase": ("phrase", None),
    "complaints.satisfactionsurvey": ("survey_a", "survey_b"),
    "complaints.slapolicy": ("sla_policy", None),
    "crm.contact": ("contact_a", "contact_b"),
    "crm.customer": ("cust_a", "cust_b"),
    "crm.department": ("dept_a", "dept_b"),
    "crm.interaction": ("int_a", "int_b"),
    "crm.notification": ({"*": OWN}, "notification_agent_b"),
    "crm.partnerorganisation": ("partner_a", None),
    "crm.personaldataaccess": ("access_a", "access_b"),
    "crm.privacyrequest": ("privacy_a", "privacy_b"),
    "crm.revisit": ({"*": "rev_a", AGT: "rev_agent", HDL: "rev_handler"}, "rev_b"),
    "crm.revisitrule": ("revisit_rule", None),
    "crm.team": ("team_a", "team_b"),
    "crm.user": ("agent_a", "agent_b"),
    "kpi.auditplan": ("audit_plan_a", "audit_plan_b"),
    "kpi.checklist": ("checklist", None),
    "kpi.samplingplan": ("sampling_plan_a", "sampling_plan_b"),
    "kpi.inspectionsample": ("sample_a", "sample_b"),
    "kpi.serviceaudit": ("audit_a", "audit_b"),
    "kpi.indicator": ("indicator", None),
    "kpi.kpiperiod": ("period", None),
    "kpi.kpiresult": ({"*": "kpi_result_a", HDL: "kpi_result_handler"}, "kpi_result_b"),
    "kpi.qualityinspection": ("inspection_a", "inspection_b"),
    "kpi.scorecardresult": (
        {"*": "scorecard_a", HDL: "scorecard_handler"},
        "scorecard_b",
    ),
    "kpi.scorecardtemplate": ("scorecard_template", None),
    "partners.apikey": ("key_a", None),
    "partners.webhookdelivery": ("delivery_a", None),
    "partners.webhookendpoint": ("endpoint_a", None),
    "training.assessment": ("assessment_a", "assessment_b"),
    "training.certification": ("certification_a", "certification_b"),
    "training.course": ("course", None),
    "training.enrollment": ("enrollment_a", "enrollment_b"),
    "training.trainingassignment": ("assignment_a", "assignment_b"),
    "training.trainingevent": ("training_event_a", "training_event_b"),
    "training.trainingrecord": (
        {"*": "agent_a", HDL: SELF, AM: SELF, RS: SELF, QA: SELF, TEC: SELF},
        "agent_b",
    ),
    "training.trainingrequirement": ("requirement", None),
    "training.trainingsession": ("session", None),
}


# --- the admin: every registered ModelAdmin ---------------------------------------------
#
# Kinds (GET unless said): ``changelist``; ``add`` (an empty POST of the add form
# is refused alike where GET is, and creates nothing); ``change``, ``history``,
# ``delete`` of the row inside (``… out``: the row outside; a refused delete is
# also POSTed with "post=yes" and the row stays); ``save`` / ``save out``: a POST
# of an empty change form — 200 the form comes back with its errors, 302 on an
# object out of reach the index with the "doesn't exist" message (and on a page
# whose every field is read-only the unchanged row "saved"), 403 no change
# permission; the row is unchanged whatever the answer.
#
# How Django decides, which the rows follow: a changelist, add or change page
# needs the model permission (else 403); the rows come from ``crm.scoping``, so a
# row out of scope is "not found" (302 to the index with a message); ``history``
# looks the row up *before* the permission, so a role without it gets the same
# 302 for rows it cannot see; ANON and KEY (an API key is no session) are sent to
# the login page everywhere under /admin/.

ADMIN = table(
    """
model                                     ADM  MGR  SUP  AGT  HDL  AM   RS   QA   TRN  TEC  ANON KEY
# after-sales (issue 17). Service orders: the desk (agents, handlers: team A's
# unassigned order), supervisors (team), managers (department); never deleted;
# the change page's workflow form with an empty POST comes back (the inlines'
# management forms are missing: 200)
aftersales.serviceorder       changelist  200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              add         200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              change out  200  302  302  302  302  403  403  403  403  302  LOG  LOG
                              history     200  200  200  200  200  302  302  302  302  200  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              save out    200  302  302  302  302  403  403  403  403  302  LOG  LOG
# visits (the technicians' day list): read-only, written by the booking services
aftersales.appointment        changelist  200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              change out  200  302  302  302  302  403  403  403  403  302  LOG  LOG
                              history     200  200  200  200  200  302  302  302  302  200  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# configuration: slots (supervisors add them), policies and technicians (managers)
aftersales.appointmentslot    changelist  200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              add         200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              history     200  200  200  200  200  403  403  403  403  200  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  403  403  403  403  403  403  LOG  LOG
aftersales.returnpolicy       changelist  200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              history     200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
aftersales.technician         changelist  200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# Django's own admins and the lockout log: administrators only
auth.group                    changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
# API tokens: own and of the accounts one manages (``in`` the agent's, ``out`` the superuser's)
authtoken.tokenproxy          changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change out  302  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  302  403  302  302  302  302  302  302  LOG  LOG
                              history out 302  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  302  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    302  403  403  403  403  403  403  403  403  403  LOG  LOG
# lockout log: read and delete (= unlock); a read-only form "saves" unchanged (302)
axes.accessattempt            changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  403  403  LOG  LOG
axes.accessfailurelog         changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  403  403  LOG  LOG
axes.accesslog                changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  403  403  LOG  LOG
# configuration (no personal data): managers edit, supervisors read
complaints.assignmentrule     changelist  200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
complaints.businesscalendar   changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
complaints.calendarday        changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# categories: every role but trainers reads them; never deleted
complaints.category           changelist  200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# complaints are archived, never deleted; the change form is read-only (workflow
# panel): an empty POST by a role that may change saves nothing
complaints.complaint          changelist  200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              add         200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  302  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              save out    200  302  302  302  302  403  403  403  403  403  LOG  LOG
# CAPA: managers (department), supervisors (team), handlers (their own; add only)
complaints.correctiveaction   changelist  200  200  200  403  200  403  403  403  403  403  LOG  LOG
                              add         200  200  200  403  200  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  200  403  403  403  403  403  LOG  LOG
                              change out  200  302  302  403  302  403  403  403  403  403  LOG  LOG
                              history     200  200  200  302  200  302  302  403  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  302  302  403  403  403  403  403  403  403  LOG  LOG
# surveys come with a resolution (no add page) and follow their complaint's scope;
# an unanswered survey takes the answer once: an empty POST is sent back with the
# "满意度为 1 至 5 分" error (200) and changes nothing
# received e-mail and its quarantine (raw personal data): administrators only, read-only
complaints.inboundemail       changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
# messages to customers (addresses and texts: personal data): administrators
# only, read-only (written by the services); the row of a complaint in scope is
# found and refused (403), not hidden (trainers: out of scope, 302)
complaints.customermessage    changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
# their templates: administrators edit them (an empty form is sent back: 200)
complaints.messagetemplate    changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
# standard phrases (服务用语): supervisors and managers edit them (an empty form
# is sent back: 200); the composer offers them to everyone who replies
complaints.phrase             changelist  200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  403  403  403  403  403  403  LOG  LOG
# knowledge base (知识库): supervisors and managers write; agents and handlers
# read published articles (a draft is out of their reach: 302); never deleted
# (retired instead)
complaints.article            changelist  200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              add         200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              change out  200  200  200  302  302  403  403  403  403  403  LOG  LOG
                              history     200  200  200  200  200  302  302  302  302  302  LOG  LOG
                              history out 200  200  200  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  200  200  403  403  403  403  403  403  403  LOG  LOG
complaints.satisfactionsurvey changelist  200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  403  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  403  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  200  403  200  403  403  403  LOG  LOG
                              save out    200  302  302  403  302  403  302  403  403  403  LOG  LOG
complaints.slapolicy          changelist  200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# contacts: QA inspectors and trainers have none (personal data)
crm.contact                   changelist  200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              add         200  200  200  200  200  200  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  403  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  403  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  200  403  403  403  200  403  403  403  403  LOG  LOG
                              delete out  200  302  403  403  403  302  403  403  403  403  LOG  LOG
                              save        200  200  200  200  200  200  403  403  403  403  LOG  LOG
                              save out    200  302  302  302  302  302  403  403  403  403  LOG  LOG
# customers: front line and specialists by department, account managers their own,
# QA read (masked), trainers nothing; only administrators delete (PIPL erasure instead)
crm.customer                  changelist  200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              add         200  200  200  200  200  200  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  302  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  200  200  200  403  403  403  403  LOG  LOG
                              save out    200  302  302  302  302  302  403  403  403  403  LOG  LOG
# organisation: managers and supervisors read their own, trainers every one
crm.department                changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              history out 200  302  302  302  302  302  302  403  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  403  403  403  403  403  403  403  403  403  LOG  LOG
# a logged interaction is not rewritten: the change form is read-only (302 "saved")
crm.interaction               changelist  200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              add         200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  302  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  302  302  403  403  302  403  403  403  403  LOG  LOG
                              save out    302  302  302  403  403  302  403  403  403  403  LOG  LOG
# the inbox: everyone, administrators included, sees only their own
crm.notification              changelist  200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              change out  302  302  302  302  302  302  302  302  302  302  LOG  LOG
                              history     200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              history out 302  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  302  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# partners: administrators; managers read the list
crm.partnerorganisation       changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
# the personal-data access log: read-only, never deleted; managers their department
crm.personaldataaccess        changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change out  200  302  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  302  302  302  302  302  302  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# privacy requests: managers of the customer's department
crm.privacyrequest            changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change out  200  302  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  302  302  302  302  302  302  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  302  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    302  302  403  403  403  403  403  403  403  403  LOG  LOG
# revisits: specialists of the department, account managers of their customers,
# supervisors of their team, front line their own (read)
crm.revisit                   changelist  200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              add         200  200  200  403  403  200  200  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  403  403  403  LOG  LOG
                              change out  200  302  302  302  302  302  302  403  403  403  LOG  LOG
                              history     200  200  200  200  200  200  200  302  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  200  403  403  200  200  403  403  403  LOG  LOG
                              save out    200  302  302  403  403  302  302  403  403  403  LOG  LOG
crm.revisitrule               changelist  200  200  200  403  403  403  200  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  200  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  200  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
crm.team                      changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              history out 200  302  302  302  302  302  302  403  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  302  403  403  403  403  403  403  403  403  LOG  LOG
# staff accounts: managers their department (crm.services.users decides who may be
# changed: a refusal comes back as a message, 302), supervisors read their team,
# QA inspectors and trainers read everyone
crm.user                      changelist  200  200  200  403  403  403  403  200  200  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  200  200  403  LOG  LOG
                              history     200  200  200  403  302  302  302  200  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  200  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  302  403  403  403  403  302  302  403  LOG  LOG
                              save out    200  302  403  403  403  403  403  302  302  403  LOG  LOG
# service-standard audits: plans edited by managers, read by the department's QA
# inspectors and the team's supervisor; audits opened by the cadence (no add page),
# read-only pages whose steps are on the step page (kpi_serviceaudit_step)
kpi.auditplan                 changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  302  403  403  LOG  LOG
                              history     200  200  200  302  302  302  302  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  302  403  403  403  403  403  403  403  403  LOG  LOG
kpi.serviceaudit              changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  302  403  403  LOG  LOG
                              history     200  200  200  302  302  302  302  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# 质检 checklists: managers edit (a used version becomes the next version; none
# is deleted), supervisors and QA inspectors read
kpi.checklist                 changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# sampling plans: managers edit their department's, the team's supervisor and the
# department's QA inspectors read; never deleted (deactivated)
kpi.samplingplan              changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  302  403  403  LOG  LOG
                              history     200  200  200  302  302  302  302  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    200  302  403  403  403  403  403  403  403  403  LOG  LOG
# the inspectors' queue: drawn by the daily job (no add page), read-only, done by
# recording the inspection
kpi.inspectionsample          changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  302  403  403  LOG  LOG
                              history     200  200  200  302  302  302  302  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# KPI configuration and snapshots: no add page for indicators or results
kpi.indicator                 changelist  200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  403  403  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
kpi.kpiperiod                 changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  302  403  403  403  403  403  403  403  403  LOG  LOG
# results: managers their department, supervisors their team, front line their own
kpi.kpiresult                 changelist  200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              change out  200  302  302  302  302  403  403  403  403  403  LOG  LOG
                              history     200  200  200  200  200  302  302  302  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# inspections: recorded by QA inspectors, read-only once recorded (no change)
kpi.qualityinspection         changelist  200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  200  403  403  LOG  LOG
                              change      200  200  200  403  403  403  403  200  403  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  302  403  403  LOG  LOG
                              history     200  200  200  403  302  302  302  200  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  302  403  403  LOG  LOG
kpi.scorecardresult           changelist  200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  403  403  403  403  403  LOG  LOG
                              change out  200  302  302  302  302  403  403  403  403  403  LOG  LOG
                              history     200  200  200  200  200  302  302  302  302  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
kpi.scorecardtemplate         changelist  200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              delete      200  200  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  403  403  LOG  LOG
# the partner API: administrators only
partners.apikey               changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  403  403  LOG  LOG
partners.webhookdelivery      changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
partners.webhookendpoint      changelist  200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              history     200  302  302  302  302  302  302  302  302  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  403  403  LOG  LOG
# personal training data: trainers everyone, managers department, supervisors team
training.assessment           changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  302  302  302  302  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  302  403  LOG  LOG
                              save out    302  403  403  403  403  403  403  403  302  403  LOG  LOG
training.certification        changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  302  302  302  302  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save out    200  403  403  403  403  403  403  403  200  403  LOG  LOG
# the catalogue: every staff role reads it, trainers keep it
training.course               changelist  200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              add         200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              history     200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  200  403  LOG  LOG
training.enrollment           changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  302  302  302  302  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        302  403  403  403  403  403  403  403  302  403  LOG  LOG
                              save out    302  403  403  403  403  403  403  403  302  403  LOG  LOG
training.trainingassignment   changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  302  302  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  302  302  302  302  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              delete out  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        302  302  403  403  403  403  403  403  302  403  LOG  LOG
                              save out    302  302  403  403  403  403  403  403  302  403  LOG  LOG
training.trainingevent        changelist  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change out  200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              history     200  403  403  403  302  302  302  302  200  302  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
# training records (read-only): own, team, department; trainers everyone
training.trainingrecord       changelist  200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              add         403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              change      200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              change out  200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              history     200  200  200  200  200  200  200  200  200  200  LOG  LOG
                              history out 200  302  302  302  302  302  302  302  200  302  LOG  LOG
                              delete      403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              delete out  403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        403  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save out    403  403  403  403  403  403  403  403  403  403  LOG  LOG
training.trainingrequirement  changelist  200  200  403  403  403  403  403  403  200  403  LOG  LOG
                              add         200  200  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  403  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  403  403  403  403  403  403  200  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  403  403  LOG  LOG
                              save        200  200  403  403  403  403  403  403  200  403  LOG  LOG
training.trainingsession      changelist  200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              add         200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              change      200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              history     200  200  200  403  403  403  403  403  200  403  LOG  LOG
                              delete      200  403  403  403  403  403  403  403  200  403  LOG  LOG
                              save        200  403  403  403  403  403  403  403  200  403  LOG  LOG
"""
)


# --- custom admin views (``get_urls``) and the admin site's own URLs ---------------------------
#
# view_on_site redirects to the object's own URL (Django's shortcut; only
# complaints have one, their admin page, which then applies the scope: 302 there).
# Workflow panel: a role that reads but may not change the complaint is sent back
# to the change page with a message (302); out of scope 404. Set-password page:
# an account out of the actor's reach (crm.services.users) is sent back to its
# change page with the refusal (302); one the actor cannot see 404 (or 403
# without the change-user permission). POSTs are empty forms: nothing changes.

ADMIN_VIEWS = table(
    """
admin view                                          ADM  MGR  SUP  AGT  HDL  AM   RS   QA   TRN  TEC  ANON KEY
index                               GET             200  200  200  200  200  200  200  200  200  200  LOG  LOG
login                               GET             302  302  302  302  302  302  302  302  302  302  200  200
logout                              GET             405  405  405  405  405  405  405  405  405  405  302  302
                                    POST            200  200  200  200  200  200  200  200  200  200  302  302
password_change                     GET             200  200  200  200  200  200  200  200  200  200  LOG  LOG
password_change_done                GET             200  200  200  200  200  200  200  200  200  200  LOG  LOG
autocomplete                        GET             200  200  200  200  200  200  200  200  403  403  LOG  LOG
jsi18n                              GET             200  200  200  200  200  200  200  200  200  200  LOG  LOG
view_on_site                        GET             302  302  302  302  302  302  302  302  302  302  LOG  LOG
                                    GET out         302  302  302  302  302  302  302  302  302  302  LOG  LOG
app_list                            GET aftersales  200  200  200  200  200  404  404  404  404  200  LOG  LOG
                                    GET auth        200  404  404  404  404  404  404  404  404  404  LOG  LOG
                                    GET authtoken   200  404  404  404  404  404  404  404  404  404  LOG  LOG
                                    GET axes        200  404  404  404  404  404  404  404  404  404  LOG  LOG
                                    GET complaints  200  200  200  200  200  200  200  200  404  404  LOG  LOG
                                    GET crm         200  200  200  200  200  200  200  200  200  200  LOG  LOG
                                    GET kpi         200  200  200  200  200  404  404  200  404  404  LOG  LOG
                                    GET partners    200  404  404  404  404  404  404  404  404  404  LOG  LOG
                                    GET training    200  200  200  200  200  200  200  200  200  200  LOG  LOG
final_catch_all                     GET             404  404  404  404  404  404  404  404  404  404  LOG  LOG
complaints_complaint_workflow       GET             200  200  200  200  200  302  302  302  404  404  LOG  LOG
                                    GET out         200  404  404  404  404  404  404  404  404  404  LOG  LOG
                                    POST            200  200  200  200  200  302  302  302  404  404  LOG  LOG
                                    POST out        200  404  404  404  404  404  404  404  404  404  LOG  LOG
# CAPA transition page (start, complete, verify): who may see the CAPA; the
# services decide who may do what (an empty POST is an invalid form: 200)
complaints_correctiveaction_transition GET      200  200  200  403  200  403  403  403  403  403  LOG  LOG
                                    GET out         200  404  404  403  404  403  403  403  403  403  LOG  LOG
                                    POST            200  200  200  403  200  403  403  403  403  403  LOG  LOG
                                    POST out        200  404  404  403  404  403  403  403  403  403  LOG  LOG
# knowledge base: "used it" on a complaint's suggested article (POST only; the
# count is the service's, once per complaint, article and user: 302 back to the
# complaint; readers of articles only; a complaint out of scope 404)
complaints_article_use              GET             405  405  405  405  405  405  405  405  405  405  LOG  LOG
                                    POST            302  302  302  302  302  403  403  403  403  403  LOG  LOG
                                    POST out        302  404  404  404  404  403  403  403  403  403  LOG  LOG
# an audit's step page: the auditor, the department's manager, administrators
kpi_serviceaudit_step               GET             200  200  403  403  403  403  403  200  403  403  LOG  LOG
                                    GET out         200  404  404  403  403  403  403  404  403  403  LOG  LOG
                                    POST            200  200  403  403  403  403  403  200  403  403  LOG  LOG
                                    POST out        200  404  404  403  403  403  403  404  403  403  LOG  LOG
# failed staff e-mails and messages to customers, "send again": administrators
# (an empty POST selects nothing and goes back to the page: 302)
complaints_customermessage_failed   GET             200  403  403  403  403  403  403  403  403  403  LOG  LOG
                                    POST            302  403  403  403  403  403  403  403  403  403  LOG  LOG
training_trainingsession_attendance GET             200  403  403  403  403  403  403  403  200  403  LOG  LOG
                                    POST            200  403  403  403  403  403  403  403  200  403  LOG  LOG
auth_user_password_change           GET             200  200  302  403  403  403  403  302  302  403  LOG  LOG
                                    GET out         200  404  403  403  403  403  403  302  302  403  LOG  LOG
                                    POST            200  200  302  403  403  403  403  302  302  403  LOG  LOG
                                    POST out        200  404  403  403  403  403  403  302  302  403  LOG  LOG
"""
)


# --- pages outside the admin: /kpi/, attachment downloads, the rest --------------------------
#
# /kpi/: managers, supervisors and administrators get the dashboard; everyone
# else is sent to their own card (302). A staff card or export shows only rows in
# the reader's scope (the export never lists department B for side A); a drill-down
# of a figure that exists but is out of scope is 403 (kpi.selectors). Recompute is
# POST only: managers and administrators (302 back to the dashboard).
# Attachments: the view-attachment permission and the complaint in scope, else 404.

PAGES = table(
    """
page                                    ADM  MGR  SUP  AGT  HDL  AM   RS   QA   TRN  TEC  ANON KEY
kpi:dashboard                  GET      200  200  200  302  302  302  302  302  302  302  LOG  LOG
kpi:staff                      GET      200  200  200  200  404  404  404  404  404  404  LOG  LOG
                               GET out  200  404  404  404  404  404  404  404  404  404  LOG  LOG
kpi:drill                      GET      200  200  200  200  403  403  403  403  403  403  LOG  LOG
                               GET out  200  403  403  403  403  403  403  403  403  403  LOG  LOG
kpi:recompute                  GET      405  405  405  405  405  405  405  405  405  405  LOG  LOG
                               POST     302  302  403  403  403  403  403  403  403  403  LOG  LOG
# an audit's report: whoever may read the audit (its department's managers and QA,
# the team's supervisor, administrators); 404 otherwise
kpi:audit-report               GET      200  200  200  404  404  404  404  200  404  404  LOG  LOG
                               GET out  200  404  404  404  404  404  404  404  404  404  LOG  LOG
                               GET xlsx 200  200  200  404  404  404  404  200  404  404  LOG  LOG
kpi:export                     GET      200  200  200  200  200  200  200  200  200  200  LOG  LOG
                               GET xlsx 200  200  200  200  200  200  200  200  200  200  LOG  LOG
# the monthly reporting pack: a dashboard scope of the reader's (``out``: department B)
kpi:report                     GET      200  200  200  403  403  403  403  403  403  403  LOG  LOG
                               GET out  200  404  404  403  403  403  403  403  403  403  LOG  LOG
complaints:attachment-download GET      200  200  200  200  200  404  404  404  404  404  LOG  LOG
                               GET out  200  404  404  404  404  404  404  404  404  404  LOG  LOG
complaints:capa-evidence-download GET   200  200  200  404  200  404  404  404  404  404  LOG  LOG
                               GET out  200  404  404  404  404  404  404  404  404  404  LOG  LOG
# the customer's pages, no login: a POST without the right details shows the form again
public:track                   GET      200  200  200  200  200  200  200  200  200  200  200  200
                               POST     200  200  200  200  200  200  200  200  200  200  200  200
# a resolved complaint's survey link; an empty answer shows the form again
public:survey                  GET      200  200  200  200  200  200  200  200  200  200  200  200
                               POST     200  200  200  200  200  200  200  200  200  200  200  200
# mail providers: a POST without the shared secret's signature is refused
public:inbound-email           POST     403  403  403  403  403  403  403  403  403  403  403  403
                               GET      405  405  405  405  405  405  405  405  405  405  405  405
healthz                        GET      200  200  200  200  200  200  200  200  200  200  200  200
# the home: each role's work for today (kpi.home), its own rows only
home                           GET      200  200  200  200  200  200  200  200  200  200  LOG  LOG
# the home's one-click assignment (kpi.home.assign), POST only: leads assign a
# complaint of their scope to a colleague (302 back to the home with a message);
# other roles 403; a complaint out of scope 404 (administrators reach it)
home-assign                    POST     302  302  302  403  403  403  403  403  403  403  LOG  LOG
                               POST out 302  404  404  403  403  403  403  403  403  403  LOG  LOG
                               GET      405  405  405  405  405  405  405  405  405  405  LOG  LOG
set_language                   POST     302  302  302  302  302  302  302  302  302  302  302  302
api-schema                     GET      200  200  200  200  200  200  200  200  200  200  200  200
api-docs                       GET      200  200  200  200  200  200  200  200  200  200  200  200
"""
)


# --- the API under /api/v1/ -------------------------------------------------------------------
#
# Staff are signed in with a session (token auth: test_staff_token_auth); KEY is
# partner A's key with every scope, ``in`` its own rows, ``out`` partner B's.
# Staff rows: complaint ``in`` TS… of team A (received, unassigned), ``out`` of
# department B; feedback on resolved ones. Transitions (one body with every field)
# need complaints.change_complaint (403 otherwise; API keys 403: staff only), then
# the row in scope (404), then the lifecycle rules of complaints.services (403 for
# the role, 409 for the state: e.g. a received complaint cannot be resolved).
# A method the route does not have is 405 to anyone signed in. ANON: 401.
# CAPAs (staff only): view_correctiveaction, then the row in scope (404), then the
# services (role 403, status 409: an open CAPA cannot be verified); ``in`` is
# team A's open CAPA owned by its handler.

API = table(
    """
/api/v1/…                                         ADM  MGR  SUP  AGT  HDL  AM   RS   QA   TRN  TEC  ANON KEY
capas/                                 GET        200  200  200  403  200  403  403  403  403  403  401  403
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
capas/{pk}/                            GET in     200  200  200  403  200  403  403  403  403  403  401  403
                                       GET out    200  404  404  403  404  403  403  403  403  403  401  403
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
capas/{pk}/start/                      POST in    200  200  200  403  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  403  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
capas/{pk}/complete/                   POST in    200  200  200  403  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  403  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
capas/{pk}/verify/                     POST in    409  409  409  403  403  403  403  403  403  403  401  403
                                       POST out   409  404  404  403  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
capas/{pk}/cancel/                     POST in    200  200  200  403  403  403  403  403  403  403  401  403
                                       POST out   200  404  404  403  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/                            GET        200  200  200  200  200  200  200  200  403  403  401  200
                                       POST       201  201  201  201  201  201  201  403  403  403  401  201
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/                GET in     200  200  200  200  200  200  200  200  403  403  401  200
                                       GET out    200  404  404  404  404  404  404  404  403  403  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/analysis/       POST in    409  409  409  409  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/assign/         POST in    200  200  200  200  403  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/close/          POST in    409  409  409  403  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/confirm/        POST in    409  409  409  409  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/attach/         POST in    400  400  400  400  400  403  403  403  403  403  401  403
                                       POST out   400  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/override-due/   POST in    400  400  400  400  400  403  403  403  403  403  401  403
                                       POST out   400  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/escalate/       POST in    200  200  200  403  403  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/events/         GET in     200  200  200  200  200  200  200  200  403  403  401  200
                                       GET out    200  404  404  404  404  404  404  404  403  403  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/feedback/       POST in    201  201  201  201  201  403  201  403  403  403  401  201
                                       POST out   201  404  404  404  404  403  404  403  403  403  401  404
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/hold/           POST in    200  200  200  200  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/note/           POST in    201  201  201  201  201  403  403  403  403  403  401  403
                                       POST out   201  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/reject/         POST in    200  200  200  403  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/reopen/         POST in    409  409  409  403  403  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/reply/          POST in    200  200  200  200  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/resolve/        POST in    409  409  409  403  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/resume/         POST in    409  409  409  409  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/severity/       POST in    200  200  200  200  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/start-analysis/ POST in    200  200  200  200  200  403  403  403  403  403  401  403
                                       POST out   200  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
complaints/{reference}/start-handling/ POST in    409  409  409  409  409  403  403  403  403  403  401  403
                                       POST out   409  404  404  404  404  403  403  403  403  403  401  403
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
customers/                             GET        200  200  200  200  200  200  200  200  403  403  401  200
                                       POST       201  201  201  201  201  201  403  403  403  403  401  201
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
customers/{code}/                      GET in     200  200  200  200  200  200  200  200  403  403  401  200
                                       GET out    200  404  404  404  404  404  404  404  403  403  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
events/                                GET        403  403  403  403  403  403  403  403  403  403  401  200
                                       POST       405  405  405  405  405  405  405  405  405  405  401  405
key/                                   GET        403  403  403  403  403  403  403  403  403  403  401  200
                                       DELETE     403  403  403  403  403  403  403  403  403  403  401  405
kpi/results/                           GET        200  200  200  200  200  200  200  200  200  200  401  200
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
revisits/                              GET        200  200  200  200  200  200  200  403  403  403  401  200
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
# after-sales service orders (issue 17): desk roles (agents and handlers: the
# unassigned orders of their team and their own), supervisors their team,
# managers their department; partners their own. ``in`` is team A's unassigned
# approved installation (the key: partner A's), ``out`` department B's (partner
# B's). Booking takes a place in a free slot of the same kind.
service-orders/                        GET        200  200  200  200  200  403  403  403  403  200  401  200
                                       POST       201  201  201  201  201  403  403  403  403  403  401  201
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
service-orders/{reference}/            GET in     200  200  200  200  200  403  403  403  403  200  401  200
                                       GET out    200  404  404  404  404  403  403  403  403  404  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
service-orders/{reference}/book/       POST in    201  201  201  201  201  403  403  403  403  403  401  201
                                       POST out   201  404  404  404  404  403  403  403  403  403  401  404
                                       GET in     405  405  405  405  405  405  405  405  405  405  401  405
service-orders/{reference}/events/     GET in     200  200  200  200  200  403  403  403  403  200  401  200
                                       GET out    200  404  404  404  404  403  403  403  403  404  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
slots/                                 GET        200  200  200  200  200  403  403  403  403  200  401  200
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
training/records/                      GET        200  200  200  200  200  200  200  200  200  200  401  200
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
webhooks/                              GET        403  403  403  403  403  403  403  403  403  403  401  200
                                       POST       403  403  403  403  403  403  403  403  403  403  401  201
                                       DELETE     405  405  405  405  405  405  405  405  405  405  401  405
webhooks/{pk}/                         GET in     403  403  403  403  403  403  403  403  403  403  401  200
                                       GET out    403  403  403  403  403  403  403  403  403  403  401  404
                                       PATCH in   403  403  403  403  403  403  403  403  403  403  401  200
                                       PATCH out  403  403  403  403  403  403  403  403  403  403  401  404
                                       DELETE in  403  403  403  403  403  403  403  403  403  403  401  204
                                       DELETE out 403  403  403  403  403  403  403  403  403  403  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
webhooks/{pk}/deliveries/              GET in     403  403  403  403  403  403  403  403  403  403  401  200
                                       GET out    403  403  403  403  403  403  403  403  403  403  401  404
                                       PUT in     405  405  405  405  405  405  405  405  405  405  401  405
"""
)


# --- writes through the admin ---------------------------------------------------------------
#
# For each role that adds or changes something: one POST that is allowed (the
# row changes) and one forged POST naming a row out of the role's scope in a
# foreign key (the form comes back with "选择一个有效的选项" on that field and the
# database is unchanged); then full forms POSTed by roles without the permission
# (refused, unchanged). A form is POSTed as the page shows it to ``form_of`` (the
# principal itself, or an administrator for the refused roles) with ``change``
# applied; ``Ref("name")`` is the id of the world's row. (tests/security/
# test_admin_scoping.py forges the add forms of contacts, complaints, interactions,
# inspections of complaints, revisits, privacy requests, customers' owners, CAPA
# and training assignments; these are the change forms and the other keys.)


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Write:
    principal: str
    page: str  # admin URL name (…_add takes no object)
    obj: str | None  # the world's row of a change page
    change: dict
    outcome: str  # "saved" | "refused <field>" (form error) | "403" | "302" | "404"
    form_of: str | None = None  # whose page gives the form (default: principal)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.principal}-{self.page}-{self.outcome}"


@dataclass(frozen=True)
class At:
    """A split date/time field: the local time now plus ``hours``."""

    hours: float


NOW = At(-0.1)

WRITES = [
    Write(ADM, "crm_team_change", "team_b", {"name": "华南二组"}, "saved"),
    Write(
        ADM,
        "authtoken_tokenproxy_add",
        None,
        {"user": Ref("admin_peer")},
        "refused user",
        note="an API token of another administrator would act as them",
    ),
    Write(MGR, "crm_user_change", "agent_a", {"name": "王小明"}, "saved"),
    Write(MGR, "crm_user_change", "agent_a", {"team": Ref("team_b")}, "refused team"),
    Write(
        MGR,
        "crm_user_change",
        "agent_a",
        {"is_superuser": "on", "name": "王小明"},
        "200",
        note="a field the form does not offer: the whole POST is refused (form shown again)",
    ),
    Write(
        MGR,
        "auth_user_password_change",
        "agent_a",
        {"password1": "Kefu-matrix-2026!", "password2": "Kefu-matrix-2026!"},
        "saved",
    ),
    Write(
        MGR,
        "auth_user_password_change",
        "manager_b",
        {"password1": "Kefu-matrix-2026!", "password2": "Kefu-matrix-2026!"},
        "404",
        form_of=ADM,
    ),
    Write(SUP, "crm_customer_change", "cust_a", {"name": "甲方客户乙"}, "saved"),
    Write(
        SUP,
        "crm_customer_change",
        "cust_a",
        {"owner": Ref("account_manager_b")},
        "refused owner",
    ),
    Write(AGT, "crm_contact_change", "contact_a", {"name": "王经理"}, "saved"),
    Write(
        AGT,
        "crm_contact_change",
        "contact_a",
        {"customer": Ref("cust_b")},
        "refused customer",
    ),
    Write(
        HDL,
        "complaints_complaint_add",
        None,
        {
            "customer": Ref("cust_a"),
            "channel": "phone",
            "category": Ref("category"),
            "severity": "normal",
            "subject": "服务态度差",
            "description": "客户反映客服态度差。",
        },
        "saved",
    ),
    Write(
        HDL,
        "complaints_complaint_add",
        None,
        {
            "customer": Ref("cust_a"),
            "channel": "phone",
            "category": Ref("category"),
            "severity": "normal",
            "subject": "服务态度差",
            "description": "客户反映客服态度差。",
            "attributed_staff": Ref("complaint_handler_b"),
        },
        "refused attributed_staff",
    ),
    Write(AM, "crm_customer_change", "cust_a", {"tier": "key"}, "saved"),
    Write(
        AM,
        "crm_customer_change",
        "cust_a",
        {"department": Ref("dept_b")},
        "refused department",
    ),
    Write(RS, "crm_revisit_change", "rev_a", {"due_at": At(50)}, "saved"),
    Write(
        RS,
        "crm_revisit_change",
        "rev_a",
        {"assignee": Ref("relations_specialist_b")},
        "refused assignee",
    ),
    Write(
        QA,
        "kpi_qualityinspection_add",
        None,
        {
            "interaction": Ref("int_a"),
            "inspected_at": NOW,
            "CHECKLIST": "9",  # every checklist item
        },
        "saved",
    ),
    Write(
        QA,
        "kpi_qualityinspection_add",
        None,
        {"interaction": Ref("int_b"), "inspected_at": NOW, "CHECKLIST": "9"},
        "refused interaction",
    ),
    Write(
        TRN,
        "training_certification_change",
        "certification_a",
        {"qualification": "高级客户服务专员资格证"},
        "saved",
        note="trainers reach every staff member: no training row is out of scope",
    ),
    # Full forms by roles without the permission (as an administrator sees them).
    Write(TRN, "crm_customer_change", "cust_a", {"name": "改"}, "403", form_of=ADM),
    Write(RS, "crm_customer_change", "cust_a", {"name": "改"}, "403", form_of=ADM),
    Write(QA, "crm_customer_change", "cust_a", {"name": "改"}, "403", form_of=ADM),
    Write(AGT, "crm_team_change", "team_a", {"name": "改"}, "403", form_of=ADM),
    Write(
        SUP,
        "crm_user_change",
        "agent_a",
        {"name": "改"},
        "302",
        form_of=ADM,
        note="supervisors read their team's accounts; a change is refused whole",
    ),
    Write(AM, "crm_contact_change", "contact_b", {"name": "改"}, "302", form_of=ADM),
]

# The superuser beside the administrator role, where they differ: only a
# superuser manages superusers and administrators (docs/security.md, staff
# accounts). (URL name, the world's row): (superuser, administrator).
SUPERUSER = {
    ("crm_user_change", "superuser"): ("200", "200"),  # the administrator: read-only
    ("crm_user_change", "admin_peer"): ("200", "200"),
    ("auth_user_password_change", "superuser"): ("200", "302"),
    ("auth_user_password_change", "admin_peer"): ("200", "302"),
    ("crm_user_delete", "admin_peer"): ("200", "403"),
    ("authtoken_tokenproxy_change", "token_root"): ("200", "302"),
    ("crm_user_changelist", None): ("200", "200"),
}
