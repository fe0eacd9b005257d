from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self):
        from complaints.services import followups
        from crm.roles import STAFF_ROLES, Role
        from crm.scoping import ScopePaths, register_scopes
        from training.followups import attitude_rule, coaching_rule

        # The attitude rule follows a complaint's attribution (complaints does not
        # import training): only a new attributed staff member or category can
        # newly match it.
        followups.register(followups.Moment.ATTRIBUTION_CHANGED, attitude_rule)
        followups.register(followups.Moment.STATUS_CHANGED, coaching_rule)

        # Course catalogue, sessions and requirements: every staff member reads them.
        catalogue = ScopePaths(everyone=frozenset(STAFF_ROLES))
        # Personal training data: own rows, the supervisor's team, the manager's
        # department; trainers see all.
        personal = ScopePaths(
            department="staff__department",
            team="staff__team",
            owners=("staff",),
            everyone=frozenset({Role.TRAINER}),
        )
        register_scopes(
            {
                "training.Course": catalogue,
                "training.TrainingSession": catalogue,
                "training.TrainingRequirement": catalogue,
                "training.Enrollment": personal,
                "training.Assessment": personal,
                "training.Certification": personal,
                "training.TrainingAssignment": personal,
                "training.TrainingEvent": personal,
                "training.TrainingRecord": ScopePaths(
                    department="department",
                    team="team",
                    owners=("pk",),
                    everyone=frozenset({Role.TRAINER}),
                ),
            }
        )
