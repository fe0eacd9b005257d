"""Staff, organisation and customer models.

The staff model is the project's custom user model (Django's advice: from the first
migration). Role membership is expressed by Django groups (see ``crm.roles``).

One module per subject; every name stays importable from ``crm.models``:

- ``staff``: Department, Team, User
- ``customers``: PartnerOrganisation, ContactChannel, Customer, CustomerExternalId,
  Contact, Interaction
- ``notifications``: Notification, NotificationAttachment
- ``revisits``: RevisitPurpose, RevisitMethod, RevisitRule, Revisit
- ``privacy``: PrivacyRequest, PersonalDataAccess
"""

from crm.models.customers import (
    Contact,
    ContactChannel,
    Customer,
    CustomerExternalId,
    Interaction,
    PartnerOrganisation,
)
from crm.models.notifications import Notification, NotificationAttachment
from crm.models.privacy import PersonalDataAccess, PrivacyRequest
from crm.models.revisits import Revisit, RevisitMethod, RevisitPurpose, RevisitRule
from crm.models.staff import Department, Team, User

__all__ = [
    "Contact",
    "ContactChannel",
    "Customer",
    "CustomerExternalId",
    "Department",
    "Interaction",
    "Notification",
    "NotificationAttachment",
    "PartnerOrganisation",
    "PersonalDataAccess",
    "PrivacyRequest",
    "Revisit",
    "RevisitMethod",
    "RevisitPurpose",
    "RevisitRule",
    "Team",
    "User",
]
