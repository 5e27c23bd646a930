"""A Python client generated from the live schema by openapi-python-client (a
generator nobody here wrote) must generate without warnings, import whole, and
drive a patient's journey against a live server: log in (allauth headless), find
a doctor, see free slots, hold, book (retried with the same Idempotency-Key),
list my appointments (then a 304), reschedule, cancel, log out, and /me is 401.

Generated once per test session into a temporary directory (offline: the
generator and its templates come from PyPI with requirements-dev.txt)."""

import datetime as dt
import importlib
import pkgutil
import subprocess
import sys
import uuid
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest
from allauth.account.models import EmailAddress

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from appointments.tests.factories import SlotFactory, tomorrow_at
from doctors.tests.factories import DoctorProfileFactory

PACKAGE = "clinic_client"
CONFIG = f"""\
project_name_override: clinic-client
package_name_override: {PACKAGE}
post_hooks: []
# A zip (the data export) is a file to the client, as any binary download is.
content_type_overrides:
  application/zip: application/octet-stream
"""


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory):
    """(the generated package, every module of it), imported from a tmp dir."""
    where = tmp_path_factory.mktemp("generated-client")
    schema = httpx.get(
        f"{live_server.url}/api/schema/",
        headers={"Accept": "application/vnd.oai.openapi+json"},
    )
    assert schema.status_code == HTTPStatus.OK
    (where / "schema.json").write_bytes(schema.content)
    (where / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(where / "schema.json"),
            "--config",
            str(where / "config.yaml"),
            "--output-path",
            str(where / "project"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output  # "some pieces may be missing"
    sys.path.insert(0, str(where / "project"))
    try:
        package = importlib.import_module(PACKAGE)
        modules = [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")
        ]
        yield package, modules
    finally:
        sys.path.remove(str(where / "project"))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_every_generated_module_imports(generated):
    _package, modules = generated
    names = {module.__name__ for module in modules}
    assert f"{PACKAGE}.api.appointments.appointments_create" in names
    assert len(modules) > 100


@pytest.mark.django_db(transaction=True)
def test_a_patients_journey_through_the_generated_client(generated, live_server):
    from clinic_client import AuthenticatedClient
    from clinic_client.api.appointments import (
        appointments_cancel_create,
        appointments_create,
        appointments_list,
        appointments_reschedule_create,
        slots_hold_create,
    )
    from clinic_client.api.doctors import doctors_list, doctors_slots_list
    from clinic_client.api.me import me_retrieve
    from clinic_client.models import (
        AppointmentsListWhen,
        BookingInputRequest,
        ReasonRequest,
        RescheduleInputRequest,
    )

    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    for n in range(3):
        start = tomorrow_at(0, 15) + dt.timedelta(minutes=30 * n)
        SlotFactory(
            doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
        )
    patient = UserFactory(full_name="Maria Garcia")
    EmailAddress.objects.create(
        user=patient, email=patient.email, verified=True, primary=True
    )

    # Log in over allauth's headless API (its own specification).
    login = httpx.post(
        f"{live_server.url}/_allauth/app/v1/auth/login",
        json={"email": patient.email, "password": DEFAULT_PASSWORD},
    )
    assert login.status_code == HTTPStatus.OK, login.text
    access = login.json()["meta"]["access_token"]
    api = AuthenticatedClient(
        base_url=live_server.url, token=access, raise_on_unexpected_status=True
    )

    found = doctors_list.sync_detailed(client=api, q="ada lee")
    assert found.status_code == HTTPStatus.OK
    [card] = found.parsed.results
    assert card.slug == doctor.slug

    slots = doctors_slots_list.sync(card.slug, client=api).results
    assert len(slots) == 3
    first, second = slots[0].id, slots[1].id

    held = slots_hold_create.sync_detailed(
        first, client=api, idempotency_key=str(uuid.uuid4())
    )
    assert held.status_code == HTTPStatus.OK
    assert held.parsed.slot == first

    # Booked; the answer "lost"; the retry with the same key gets it again.
    key = str(uuid.uuid4())
    body = BookingInputRequest(slot=first, reason="Chest pain when climbing stairs")
    booked = appointments_create.sync_detailed(
        client=api, body=body, idempotency_key=key
    )
    assert booked.status_code == HTTPStatus.CREATED, booked.content
    retried = appointments_create.sync_detailed(
        client=api, body=body, idempotency_key=key
    )
    assert retried.status_code == HTTPStatus.CREATED
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.parsed.id == booked.parsed.id
    appointment = booked.parsed.id

    mine = appointments_list.sync_detailed(
        client=api, when=AppointmentsListWhen.UPCOMING
    )
    assert [a.id for a in mine.parsed.results] == [appointment]
    again = appointments_list.sync_detailed(
        client=api,
        when=AppointmentsListWhen.UPCOMING,
        if_none_match=mine.headers["ETag"],
    )
    assert again.status_code == HTTPStatus.NOT_MODIFIED

    moved = appointments_reschedule_create.sync_detailed(
        appointment,
        client=api,
        body=RescheduleInputRequest(slot=second),
        idempotency_key=str(uuid.uuid4()),
    )
    assert moved.status_code == HTTPStatus.OK, moved.content
    assert moved.parsed.starts_at.astimezone(dt.UTC) > tomorrow_at(0, 30)

    cancelled = appointments_cancel_create.sync_detailed(
        appointment,
        client=api,
        body=ReasonRequest(reason="Feeling better"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert cancelled.status_code == HTTPStatus.OK, cancelled.content
    assert cancelled.parsed.status == "cancelled"

    logout = httpx.delete(
        f"{live_server.url}/_allauth/app/v1/auth/session",
        headers={"Authorization": f"Bearer {access}"},
    )
    assert logout.status_code == HTTPStatus.UNAUTHORIZED  # allauth: "logged out"
    assert me_retrieve.sync_detailed(client=api).status_code == (
        HTTPStatus.UNAUTHORIZED
    )
