from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.models import Role
from accounts.tests.factories import UserFactory
from doctors.models import DoctorProfile, Follow, Language, Specialization


class SpecializationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.Sequence(lambda n: f"specialty-{n}")


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Language {n}")
    slug = factory.Sequence(lambda n: f"language-{n}")


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    """An approved doctor in the Doctors group; pass status=... for an application."""

    class Meta:
        model = DoctorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    slug = factory.Sequence(lambda n: f"dr-{n}")
    status = DoctorProfile.Status.APPROVED
    specialization = factory.SubFactory(SpecializationFactory)
    license_number = factory.Sequence(lambda n: f"LIC-{n:06d}")
    bio = "Listens first, explains clearly."
    qualifications = "MD"
    years_of_experience = 10
    clinic_name = "City Health Centre"
    address = "1 Main Street"
    city = "Berlin"
    consultation_fee = Decimal("60.00")
    timezone = "UTC"
    min_notice = timedelta(0)

    @factory.post_generation
    def approved_role(self, create, extracted, **kwargs):
        if create and self.status == DoctorProfile.Status.APPROVED:
            self.user.groups.add(Group.objects.get_or_create(name=Role.DOCTOR)[0])


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    patient = factory.SubFactory(UserFactory)
    doctor = factory.SubFactory(DoctorProfileFactory)
