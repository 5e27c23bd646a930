"""Demo accounts for `manage.py seed_demo`."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from . import services
from .models import Role, User

STAFF_PASSWORD = "demo-staff-password"
DESK_EMAIL = "desk@example.com"
DESK_PASSWORD = "demo-desk-password"
# A caller the front desk registered on the phone: no email, no password.
WALK_IN = ("Walter Walk-in", "+49 30 1234 5678")
PATIENT_PASSWORD = "demo-patient-password"

PATIENTS = [
    ("maria.garcia@example.com", "Maria Garcia", "Europe/Madrid"),
    ("james.smith@example.com", "James Smith", "Europe/London"),
    ("lena.fischer@example.com", "Lena Fischer", "Europe/Berlin"),
    ("noah.johnson@example.com", "Noah Johnson", "America/New_York"),
    ("aiko.tanaka@example.com", "Aiko Tanaka", "Asia/Tokyo"),
]


def demo_user(email: str, full_name: str, password: str, **fields) -> User:
    """Get or create a verified demo account; an existing one is left as it is."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name, **fields)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed(stdout) -> list[tuple[str, str, str]]:
    staff = demo_user(
        "staff@example.com",
        "Sam Staff",
        STAFF_PASSWORD,
        is_staff=True,
        is_superuser=True,
        timezone="Europe/Berlin",
    )
    staff.groups.add(Group.objects.get(name=Role.STAFF))
    # The front desk: admin through the Clinic staff group alone, no superuser.
    desk = demo_user(
        DESK_EMAIL, "Dana Desk", DESK_PASSWORD, is_staff=True, timezone="Europe/Berlin"
    )
    desk.groups.add(Group.objects.get(name=Role.STAFF))
    for email, name, zone in PATIENTS:
        demo_user(email, name, PATIENT_PASSWORD, timezone=zone)
    name, phone = WALK_IN
    if not User.objects.filter(full_name=name, email__isnull=True).exists():
        services.register_patient(full_name=name, phone=phone)
    stdout.write(
        f"Accounts: 2 staff, {len(PATIENTS)} patients and 1 without an account."
    )
    return [
        ("staff", "staff@example.com", STAFF_PASSWORD),
        ("desk", DESK_EMAIL, DESK_PASSWORD),
        ("patient", PATIENTS[0][0], PATIENT_PASSWORD),
    ]
