from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("KPIs")

    def ready(self):
        from crm.roles import STAFF_ROLES, Role
        from crm.scoping import ScopePaths, register_scopes

        configuration = ScopePaths(everyone=frozenset(STAFF_ROLES))
        results = ScopePaths(department="department", team="team", owners=("staff",))
        audits = ScopePaths(
            department="department",
            team="team",
            owners=("auditor",),
            department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
        )
        register_scopes(
            {
                # Managers: their department; supervisors: their team (its own row
                # and its members'); everyone else: their own card.
                "kpi.KpiResult": results,
                "kpi.ScorecardResult": results,
                # Configuration, no personal data: every staff role reads it.
                "kpi.Indicator": configuration,
                "kpi.ScorecardTemplate": configuration,
                "kpi.ScorecardLine": configuration,
                "kpi.KpiPeriod": configuration,
                "kpi.Checklist": configuration,
                "kpi.ChecklistItem": configuration,
                # Sampling plans and their queues: the team's department
                # (managers, QA inspectors), the team's supervisor, the inspector.
                "kpi.SamplingPlan": ScopePaths(
                    department="team__department",
                    team="team",
                    department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
                ),
                "kpi.InspectionSample": ScopePaths(
                    department="team__department",
                    team="team",
                    owners=("inspector",),
                    department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
                ),
                "kpi.InspectionScore": ScopePaths(
                    department="inspection__staff__department",
                    team="inspection__staff__team",
                    owners=("inspection__staff", "inspection__inspector"),
                    department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
                ),
                # Audits: the department's managers and QA inspectors, the team's
                # supervisor (team audits), the auditor.
                "kpi.AuditPlan": audits,
                "kpi.ServiceAudit": audits,
                "kpi.AuditFinding": ScopePaths(
                    department="audit__department",
                    team="audit__team",
                    owners=("audit__auditor",),
                    department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
                ),
                "kpi.QualityInspection": ScopePaths(
                    department="staff__department",
                    team="staff__team",
                    owners=("staff", "inspector"),
                    department_roles=frozenset({Role.MANAGER, Role.QA_INSPECTOR}),
                ),
            }
        )
