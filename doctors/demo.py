"""Demo specializations, languages, doctors and follows for `manage.py seed_demo`."""

import random
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.text import slugify

from accounts.demo import PATIENTS, demo_user
from accounts.models import Role, User

from .models import DoctorProfile, Follow, Language, Specialization
from .services import unique_slug

DOCTOR_PASSWORD = "demo-doctor-password"

SPECIALIZATIONS = [
    ("Allergy and Immunology", "Allergies, asthma and immune system disorders."),
    ("Cardiology", "Heart and blood vessel conditions, blood pressure, rhythm."),
    ("Dermatology", "Skin, hair and nail conditions, mole checks."),
    ("Endocrinology", "Diabetes, thyroid and hormone disorders."),
    ("Family Medicine", "First point of care for adults and children."),
    ("Gastroenterology", "Stomach, bowel and liver conditions."),
    ("Neurology", "Headaches, epilepsy, nerve and brain conditions."),
    ("Obstetrics and Gynaecology", "Women's health, pregnancy and birth."),
    ("Ophthalmology", "Eye examinations, vision problems and eye disease."),
    ("Orthopaedics", "Bones, joints, sports injuries and back pain."),
    ("Otolaryngology (ENT)", "Ear, nose and throat conditions."),
    ("Paediatrics", "Health of babies, children and teenagers."),
    ("Psychiatry", "Mental health assessment and treatment."),
    ("Pulmonology", "Lung and breathing conditions."),
    ("Urology", "Kidney, bladder and male reproductive health."),
]

LANGUAGES = [
    "Arabic",
    "Chinese",
    "Dutch",
    "English",
    "French",
    "German",
    "Greek",
    "Italian",
    "Japanese",
    "Polish",
    "Portuguese",
    "Russian",
    "Spanish",
    "Turkish",
]

# City, time zone, local languages, a street for the clinic address.
CITIES = [
    ("Berlin", "Europe/Berlin", ["German"], "Friedrichstraße"),
    ("Munich", "Europe/Berlin", ["German"], "Leopoldstraße"),
    ("Hamburg", "Europe/Berlin", ["German"], "Mönckebergstraße"),
    ("Vienna", "Europe/Vienna", ["German"], "Mariahilfer Straße"),
    ("Madrid", "Europe/Madrid", ["Spanish"], "Calle de Alcalá"),
    ("Barcelona", "Europe/Madrid", ["Spanish"], "Passeig de Gràcia"),
    ("Amsterdam", "Europe/Amsterdam", ["Dutch"], "Keizersgracht"),
    ("Paris", "Europe/Paris", ["French"], "Rue de Rivoli"),
    ("Lisbon", "Europe/Lisbon", ["Portuguese"], "Avenida da Liberdade"),
    ("Milan", "Europe/Rome", ["Italian"], "Corso Buenos Aires"),
]

DOCTOR_NAMES = [
    "Ada Lee",
    "Lukas Becker",
    "Sofia Romano",
    "Hannah Schmidt",
    "Mateo Fernández",
    "Claire Dubois",
    "Jonas Weber",
    "Elena Petrova",
    "Pieter de Vries",
    "Inês Costa",
    "Marco Bianchi",
    "Laura Martínez",
    "Felix Wagner",
    "Amira Haddad",
    "Tom Janssen",
    "Chloé Laurent",
    "Niklas Hoffmann",
    "Yuki Sato",
    "Carmen López",
    "David Cohen",
    "Anna Kowalska",
    "Henrik Larsen",
    "Isabel Santos",
    "Julien Moreau",
    "Mia Fischer",
    "Omar Al-Sayed",
    "Giulia Ricci",
    "Sebastian Koch",
    "Lucía Gómez",
    "Emre Yılmaz",
    "Sarah Klein",
    "Bram Visser",
    "Nadia Rossi",
    "Paul Richter",
    "Camille Bernard",
    "Wei Zhang",
    "Katarina Novak",
    "Diego Ruiz",
    "Eva Schneider",
    "Rui Oliveira",
    "Léa Petit",
    "Max Braun",
    "Alessandro Conti",
    "Maya Kaplan",
    "Oliver Wolf",
]

CLINIC_KINDS = ["Health Centre", "Medical Practice", "Clinic", "Specialist Centre"]

QUALIFICATIONS = [
    "MD, {university}\nBoard certified in {specialization}",
    "Medical degree, {university}\nSpecialist training in {specialization}, "
    "university hospital",
    "MD PhD, {university}\nFellowship in {specialization}",
]
UNIVERSITIES = [
    "Charité Berlin",
    "LMU Munich",
    "University of Vienna",
    "Complutense University of Madrid",
    "University of Amsterdam",
    "Sorbonne University",
    "University of Lisbon",
    "University of Milan",
]
BIOS = [
    "I take time to listen and explain every option in plain words, so you can "
    "decide together with me what suits you.",
    "My focus is prevention and long-term care. I work closely with your family "
    "doctor and keep waiting times short.",
    "Patients describe me as calm and thorough. I speak several languages and "
    "welcome patients from abroad.",
    "After years in a university hospital I opened my own practice to give every "
    "patient the time a good diagnosis needs.",
]

EXTRA_FOLLOWERS = 40  # demo patients who only follow doctors (no password)


def _language_rows() -> dict[str, Language]:
    rows = {}
    for name in LANGUAGES:
        rows[name], _created = Language.objects.get_or_create(
            slug=slugify(name), defaults={"name": name}
        )
    return rows


def _specialization_rows() -> list[Specialization]:
    rows = []
    for name, description in SPECIALIZATIONS:
        row, _created = Specialization.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "description": description}
        )
        rows.append(row)
    return rows


def _doctor_email(name: str) -> str:
    return f"dr.{slugify(name).replace('-', '.')}@example.com"


def _profile_fields(index: int, rng: random.Random, specializations, languages):
    city, zone, local_languages, street = CITIES[index % len(CITIES)]
    specialization = specializations[index % len(specializations)]
    spoken = {"English", *local_languages, *rng.sample(LANGUAGES, rng.randint(0, 2))}
    fields = {
        "specialization": specialization,
        "license_number": f"LIC-{100000 + index * 37}",
        "bio": BIOS[index % len(BIOS)],
        "qualifications": QUALIFICATIONS[index % len(QUALIFICATIONS)].format(
            university=UNIVERSITIES[index % len(UNIVERSITIES)],
            specialization=specialization.name,
        ),
        "years_of_experience": 3 + (index * 7) % 30,
        "clinic_name": f"{city} {CLINIC_KINDS[index % len(CLINIC_KINDS)]}",
        "address": f"{street} {10 + index * 3}",
        "city": city,
        "consultation_fee": Decimal(60 + (index * 15) % 120),
        "timezone": zone,
    }
    return fields, [languages[name] for name in sorted(spoken)]


@cache
def _password_hash() -> str:
    return make_password(DOCTOR_PASSWORD)


def _doctor(name: str, index: int, status: str, rng, specializations, languages):
    """Get or create one demo doctor; an existing profile is left as it is."""
    fields, spoken = _profile_fields(index, rng, specializations, languages)
    user = demo_user(_doctor_email(name), name, None, timezone=fields["timezone"])
    if not user.has_usable_password():  # just created: hashing once is much faster
        user.password = _password_hash()
        user.save(update_fields=["password"])
    profile = DoctorProfile.objects.filter(user=user).first()
    if profile is None:
        profile = DoctorProfile.objects.create(
            user=user, slug=unique_slug(name), status=status, **fields
        )
        profile.languages.set(spoken)
    if status == DoctorProfile.Status.APPROVED:
        user.groups.add(Group.objects.get(name=Role.DOCTOR))
    return profile


def _followers() -> list[User]:
    patients = list(User.objects.filter(email__in=_demo_patient_emails()))
    for number in range(1, EXTRA_FOLLOWERS + 1):
        email = f"follower{number:02d}@example.com"
        user = User.objects.filter(email=email).first()
        if user is None:  # no password: these accounts only make the numbers real
            user = User.objects.create_user(email, None, full_name=f"Follower {number}")
        patients.append(user)
    return patients


def _demo_patient_emails() -> list[str]:
    return [email for email, _name, _zone in PATIENTS]


def seed(stdout) -> list[tuple[str, str, str]]:
    rng = random.Random(20261125)  # the same demo every time
    languages = _language_rows()
    specializations = _specialization_rows()
    doctors = [
        _doctor(
            name, index, DoctorProfile.Status.APPROVED, rng, specializations, languages
        )
        for index, name in enumerate(DOCTOR_NAMES)
    ]
    _doctor(
        "Rosa Pending",
        len(DOCTOR_NAMES),
        DoctorProfile.Status.PENDING,
        rng,
        specializations,
        languages,
    )

    # Follows: a popularity curve, the same pairs on every run, only missing rows
    # added; then followers_count set from the real rows so both always agree.
    followers = _followers()
    wanted = []
    for rank, doctor in enumerate(doctors):
        share = min(
            len(followers), int(len(followers) * 0.88**rank) + rng.randint(0, 3)
        )
        chosen = rng.sample(followers, share)
        wanted += [Follow(patient=patient, doctor=doctor) for patient in chosen]
    Follow.objects.bulk_create(wanted, ignore_conflicts=True)
    counts = dict(
        Follow.objects.values_list("doctor").annotate(n=Count("id")).order_by()
    )
    for doctor in doctors:
        if doctor.followers_count != counts.get(doctor.pk, 0):
            doctor.followers_count = counts.get(doctor.pk, 0)
            doctor.save(update_fields=["followers_count"])

    stdout.write(
        f"Doctors: {len(specializations)} specializations, {len(doctors)} approved "
        f"doctors in {len(CITIES)} cities, 1 pending application, "
        f"{Follow.objects.count()} follows."
    )
    return [("doctor", _doctor_email(DOCTOR_NAMES[0]), DOCTOR_PASSWORD)]
