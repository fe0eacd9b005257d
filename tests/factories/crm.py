from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import (
    Contact,
    Customer,
    CustomerExternalId,
    Department,
    Interaction,
    PartnerOrganisation,
    Revisit,
    Team,
    User,
)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"客服中心{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"服务组{n}")
    department = factory.SubFactory(DepartmentFactory)


class UserFactory(factory.django.DjangoModelFactory):
    """A staff member. ``roles=["agent"]`` puts them in those role groups;
    ``team=`` sets the department from the team unless given."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    employee_no = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@kefu.test")
    is_staff = True
    password = factory.django.Password("pw-for-tests")
    team = None
    department = factory.LazyAttribute(lambda o: o.team.department if o.team else None)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=list(extracted)))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"partner-{n}")
    name = factory.Sequence(lambda n: f"合作方{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:07d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    owner = None
    department = factory.LazyAttribute(
        lambda o: o.owner.department if o.owner else None
    )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory, kind=Customer.Kind.COMPANY)
    name = factory.Sequence(lambda n: f"联系人{n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")


class CustomerExternalIdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerExternalId

    customer = factory.SubFactory(CustomerFactory)
    partner = factory.SubFactory(PartnerFactory)
    external_id = factory.Sequence(lambda n: f"EXT{n:06d}")


class RevisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Revisit

    customer = factory.SubFactory(CustomerFactory)
    purpose = Revisit.Purpose.SATISFACTION
    method = Revisit.Method.PHONE
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    key = factory.Sequence(lambda n: f"test:{n}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Interaction.Channel.PHONE
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "来电咨询"
