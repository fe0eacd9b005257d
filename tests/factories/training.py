"""Factories of the training app (``from tests.factories.training import ...``)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from tests.factories.crm import UserFactory
from training.models import (
    Assessment,
    Certification,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingRequirement,
    TrainingSession,
)


class CourseFactory(factory.django.DjangoModelFactory):
    """A course. ``target_roles=["agent"]`` sets its target role groups."""

    class Meta:
        model = Course
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"课程{n}")
    topic = Course.Topic.SERVICE_SKILLS
    hours = Decimal("8.0")
    format = Course.Format.CLASSROOM

    @factory.post_generation
    def target_roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.target_roles.add(*Group.objects.filter(name__in=list(extracted)))


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))
    place = "培训室 A"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    session = factory.SubFactory(TrainingSessionFactory)
    staff = factory.SubFactory(UserFactory)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    staff = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    kind = Assessment.Kind.KNOWLEDGE
    due_on = factory.LazyFunction(timezone.localdate)
    pass_mark = Decimal("60")


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    staff = factory.SubFactory(UserFactory)
    qualification = "客户服务专员资格证"
    number = factory.Sequence(lambda n: f"ZG{n:06d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=300))
    expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + timedelta(days=365)
    )


class TrainingRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRequirement
        django_get_or_create = ("role",)

    role = "agent"
    yearly_hours = Decimal("80")


class TrainingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAssignment

    staff = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    reason = TrainingAssignment.Reason.OTHER
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
