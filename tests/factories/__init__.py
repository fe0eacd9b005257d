"""All test factories, importable from one place: ``from tests.factories import ...``."""

from tests.factories.crm import (
    CustomerFactory,
    DepartmentFactory,
    PartnerFactory,
    TeamFactory,
    UserFactory,
)

__all__ = [
    "CustomerFactory",
    "DepartmentFactory",
    "PartnerFactory",
    "TeamFactory",
    "UserFactory",
]
