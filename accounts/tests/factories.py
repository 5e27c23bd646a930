import factory
from django.contrib.auth.models import Group

from accounts.models import Role, User

DEFAULT_PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    timezone = "UTC"
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """Everyone is a patient, staff are Clinic staff; roles=[...] adds more."""
        if not create:
            return
        staff = [Role.STAFF] if self.is_staff else []
        for role in [Role.PATIENT, *staff, *(extracted or [])]:
            self.groups.add(Group.objects.get_or_create(name=role)[0])


class StaffFactory(UserFactory):
    """Clinic staff: may log in to the admin, with the authenticator app it requires
    (`totp_secret` makes their codes; `totp=False` for staff who have none yet)."""

    is_staff = True

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        from .mfa import enable_totp

        if create and extracted is not False:
            self.totp_secret = enable_totp(self)
