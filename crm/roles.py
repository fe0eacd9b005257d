"""Roles of DESIGN §2 as Django groups, with their model permissions.

The group name is the role's stable code; its label is translated. The permission
table below is the single declaration of "which role may do what to which model";
object-level scoping (which rows) lives in ``crm.scoping``.

A data migration creates the groups; ``sync_role_groups`` runs again after every
``migrate`` so that models added by later migrations get their permissions too.
Permissions named here for models that do not exist yet are skipped silently.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("administrator")
    MANAGER = "manager", _("customer-service manager")
    SUPERVISOR = "supervisor", _("supervisor")
    AGENT = "agent", _("customer-service agent")
    COMPLAINT_HANDLER = "complaint_handler", _("complaint handler")
    ACCOUNT_MANAGER = "account_manager", _("account manager")
    RELATIONS_SPECIALIST = "relations_specialist", _("customer-relations specialist")
    QA_INSPECTOR = "qa_inspector", _("quality inspector")
    TRAINER = "trainer", _("trainer")
    TECHNICIAN = "technician", _("after-sales engineer")
    PARTNER = "partner", _("partner")


# Roles that are staff logins (everyone but partners).
STAFF_ROLES = tuple(r for r in Role if r != Role.PARTNER)
# Front-line roles: handle customers directly; yearly training requirement applies.
FRONT_LINE_ROLES = (Role.AGENT, Role.COMPLAINT_HANDLER)

# Authority over other staff accounts: admin > manager > supervisor > the rest.
# An actor manages only accounts of strictly lower rank (``crm.services.users``);
# superusers stand above every role. Account managers and relations specialists
# are specialist-level roles (rank 0), like agents, handlers, QA and trainers.
# Partners are not staff logins and have no rank: only a superuser grants them.
ROLE_RANK: dict[str, int] = {
    Role.ADMIN: 3,
    Role.MANAGER: 2,
    Role.SUPERVISOR: 1,
    Role.AGENT: 0,
    Role.COMPLAINT_HANDLER: 0,
    Role.ACCOUNT_MANAGER: 0,
    Role.RELATIONS_SPECIALIST: 0,
    Role.QA_INSPECTOR: 0,
    Role.TRAINER: 0,
    Role.TECHNICIAN: 0,
}


def role_rank(roles) -> int:
    """The highest rank among ``roles`` (role codes); 0 for none or unranked."""
    return max((ROLE_RANK.get(role, 0) for role in roles), default=0)


ALL = ("view", "add", "change", "delete")
RW = ("view", "add", "change")
RA = ("view", "add")
R = ("view",)

# {role: {"app_label.modelname": actions}}. Admin gets every permission.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.MANAGER: {
        # Managers add and change staff of their department below their own rank
        # (``crm.services.users`` enforces the reach; the admin asks it).
        "crm.user": RW,
        "crm.department": R,
        "crm.team": ("view", "change"),
        "crm.partnerorganisation": R,
        "crm.customer": RW,
        "crm.contact": ALL,
        "crm.interaction": RW,
        "crm.revisit": RW,
        "crm.revisitrule": ALL,
        "crm.privacyrequest": RW,
        "crm.personaldataaccess": R,
        "crm.customerexternalid": R,
        "crm.notification": R,
        "complaints.complaint": RW,
        "complaints.complaintevent": R,
        "complaints.complaintreply": RA,
        "complaints.complaintnote": RA,
        "complaints.complaintattachment": RA,
        "complaints.category": ALL,
        "complaints.slapolicy": ALL,
        "complaints.slapolicychange": R,
        "complaints.businesscalendar": ALL,
        "complaints.calendarday": ALL,
        "complaints.correctiveaction": ALL,
        "complaints.capaevent": R,
        "complaints.capaevidence": R,
        "complaints.satisfactionsurvey": RW,
        "complaints.slatarget": R,
        "complaints.assignmentrule": ALL,
        "complaints.phrase": ALL,
        "complaints.article": ALL,
        "complaints.articleversion": R,
        "training.course": R,
        "training.trainingsession": R,
        "training.enrollment": R,
        "training.assessment": R,
        "training.certification": R,
        "training.trainingrequirement": RW,
        "training.trainingassignment": RW,
        "kpi.indicator": RW,
        "kpi.scorecardtemplate": ALL,
        "kpi.scorecardline": ALL,
        "kpi.kpiperiod": RW,
        "kpi.kpiresult": R,
        "kpi.scorecardresult": R,
        "kpi.qualityinspection": R,
        "kpi.inspectionscore": R,
        "kpi.checklist": RW,
        "kpi.checklistitem": ALL,
        "kpi.samplingplan": RW,
        "kpi.inspectionsample": R,
        "kpi.auditplan": RW,
        "kpi.serviceaudit": ("view", "change"),
        "kpi.auditfinding": R,
        "aftersales.serviceorder": RW,
        "aftersales.serviceorderevent": R,
        "aftersales.appointment": RW,
        "aftersales.returnpolicy": ALL,
        "aftersales.technician": ALL,
        "aftersales.appointmentslot": ALL,
    },
    Role.SUPERVISOR: {
        "crm.user": R,
        "crm.department": R,
        "crm.team": R,
        "crm.customer": RW,
        "crm.customerexternalid": R,
        "crm.contact": RW,
        "crm.interaction": RW,
        "crm.revisit": RW,
        "crm.revisitrule": R,
        "crm.notification": R,
        "complaints.complaint": RW,
        "complaints.complaintevent": R,
        "complaints.complaintreply": RA,
        "complaints.complaintnote": RA,
        "complaints.complaintattachment": RA,
        "complaints.category": R,
        "complaints.slapolicy": R,
        "complaints.slapolicychange": R,
        "complaints.correctiveaction": RW,
        "complaints.capaevent": R,
        "complaints.capaevidence": R,
        "complaints.satisfactionsurvey": RW,
        "complaints.slatarget": R,
        "complaints.assignmentrule": R,
        "complaints.phrase": ALL,
        "complaints.article": ALL,
        "complaints.articleversion": R,
        "training.course": R,
        "training.trainingsession": R,
        "training.enrollment": R,
        "training.assessment": R,
        "training.certification": R,
        "training.trainingassignment": R,
        "kpi.indicator": R,
        "kpi.kpiresult": R,
        "kpi.scorecardresult": R,
        "kpi.qualityinspection": R,
        "kpi.inspectionscore": R,
        "kpi.checklist": R,
        "kpi.checklistitem": R,
        "kpi.samplingplan": R,
        "kpi.inspectionsample": R,
        "kpi.auditplan": R,
        "kpi.serviceaudit": R,
        "kpi.auditfinding": R,
        "aftersales.serviceorder": RW,
        "aftersales.serviceorderevent": R,
        "aftersales.appointment": RW,
        "aftersales.returnpolicy": R,
        "aftersales.technician": R,
        "aftersales.appointmentslot": RW,
    },
    Role.AGENT: {
        "crm.customer": RW,
        "crm.customerexternalid": R,
        "crm.contact": RW,
        "crm.interaction": RA,
        "crm.revisit": R,
        "crm.notification": R,
        "complaints.complaint": RW,
        "complaints.complaintevent": R,
        "complaints.complaintreply": RA,
        "complaints.complaintnote": RA,
        "complaints.complaintattachment": RA,
        "complaints.category": R,
        "complaints.article": R,
        "complaints.articleversion": R,
        "complaints.slatarget": R,
        "complaints.satisfactionsurvey": RA,
        "training.course": R,
        "kpi.kpiresult": R,
        "kpi.scorecardresult": R,
        "aftersales.serviceorder": RW,
        "aftersales.serviceorderevent": R,
        "aftersales.appointment": RA,
        "aftersales.returnpolicy": R,
        "aftersales.appointmentslot": R,
    },
    Role.COMPLAINT_HANDLER: {
        "crm.customer": RW,
        "crm.customerexternalid": R,
        "crm.contact": RW,
        "crm.interaction": RA,
        "crm.revisit": R,
        "crm.notification": R,
        "complaints.complaint": RW,
        "complaints.complaintevent": R,
        "complaints.complaintreply": RA,
        "complaints.complaintnote": RA,
        "complaints.complaintattachment": RA,
        "complaints.category": R,
        "complaints.article": R,
        "complaints.articleversion": R,
        "complaints.slatarget": R,
        "complaints.correctiveaction": RA,
        "complaints.capaevent": R,
        "complaints.capaevidence": R,
        "complaints.satisfactionsurvey": RW,
        "training.course": R,
        "kpi.kpiresult": R,
        "kpi.scorecardresult": R,
        "aftersales.serviceorder": RW,
        "aftersales.serviceorderevent": R,
        "aftersales.appointment": RA,
        "aftersales.returnpolicy": R,
        "aftersales.appointmentslot": R,
    },
    Role.ACCOUNT_MANAGER: {
        "crm.customer": RW,
        "crm.customerexternalid": R,
        "crm.contact": ALL,
        "crm.interaction": RW,
        "crm.revisit": RW,
        "crm.notification": R,
        "complaints.complaint": RA,
        "complaints.complaintevent": R,
        "complaints.category": R,
        "complaints.satisfactionsurvey": R,
        "training.course": R,
    },
    Role.RELATIONS_SPECIALIST: {
        "crm.customer": R,
        "crm.customerexternalid": R,
        "crm.contact": R,
        "crm.interaction": RA,
        "crm.revisit": RW,
        "crm.revisitrule": R,
        "crm.notification": R,
        "complaints.complaint": RA,  # problem found on a revisit
        "complaints.complaintevent": R,
        "complaints.category": R,
        "complaints.satisfactionsurvey": RW,
        "training.course": R,
    },
    Role.QA_INSPECTOR: {
        "crm.user": R,
        "crm.notification": R,
        "crm.customer": R,
        "crm.interaction": R,
        "complaints.complaint": R,
        "complaints.complaintevent": R,
        "complaints.complaintreply": R,
        "complaints.complaintnote": R,
        "complaints.category": R,
        "kpi.qualityinspection": RW,
        "kpi.inspectionscore": RW,
        "kpi.checklist": R,
        "kpi.checklistitem": R,
        "kpi.samplingplan": R,
        "kpi.inspectionsample": R,
        # the auditor of service-standard audits: steps through kpi.services.audits
        "kpi.auditplan": R,
        "kpi.serviceaudit": ("view", "change"),
        "kpi.auditfinding": R,
        "training.course": R,
    },
    Role.TRAINER: {
        "crm.user": R,
        "crm.notification": R,
        "crm.team": R,
        "crm.department": R,
        "training.course": ALL,
        "training.trainingsession": ALL,
        "training.enrollment": ALL,
        "training.assessment": ALL,
        "training.certification": ALL,
        "training.trainingrequirement": RW,
        "training.trainingassignment": ALL,
        "training.trainingevent": R,
    },
    # After-sales engineers: their own visits (scoping: technician__user).
    Role.TECHNICIAN: {
        "crm.notification": R,
        "aftersales.serviceorder": ("view", "change"),
        "aftersales.serviceorderevent": R,
        "aftersales.appointment": R,
        "aftersales.appointmentslot": R,
        "training.course": R,
    },
    Role.PARTNER: {
        "crm.customer": RA,
        "complaints.complaint": RA,
        "complaints.complaintevent": R,
        "complaints.satisfactionsurvey": ("add",),
    },
}

# Apps whose permissions the admin role receives in full, plus auth for users/groups.
ADMIN_APPS = (
    "auth",
    "authtoken",
    "crm",
    "complaints",
    "training",
    "kpi",
    "partners",
    "aftersales",
    "axes",  # login lockout: access attempts to unlock
)


def sync_role_groups(group_model, permission_model) -> None:
    """Create every role's group and give it exactly the permissions above.

    Takes the model classes so that a migration can pass its historical models.
    Idempotent: running it again changes nothing unless the table changed.
    """
    perms = {
        (p.content_type.app_label, p.codename): p
        for p in permission_model.objects.select_related("content_type")
    }
    for role in Role:
        group, _created = group_model.objects.get_or_create(name=role.value)
        if role == Role.ADMIN:
            wanted = [p for (app, _code), p in perms.items() if app in ADMIN_APPS]
        else:
            wanted = []
            for label, actions in ROLE_PERMISSIONS.get(role, {}).items():
                app_label, model_name = label.split(".")
                for action in actions:
                    perm = perms.get((app_label, f"{action}_{model_name}"))
                    if perm is not None:
                        wanted.append(perm)
        group.permissions.set(wanted)


def sync_role_groups_after_migrate(sender, using="default", apps=None, **kwargs):
    """post_migrate receiver: runs once per migrate, after the last app's signal.

    Django creates each app's permissions in its own post_migrate call, in
    INSTALLED_APPS order, so the last app's call is the first moment when all exist.
    """
    from django.apps import apps as global_apps

    last_app = list(global_apps.get_app_configs())[-1]
    if sender.label != last_app.label or apps is None:
        return
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    sync_role_groups(group_model, permission_model)
