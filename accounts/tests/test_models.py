import zoneinfo

import pytest

from accounts.tests.factories import UserFactory

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Europe/Berlin", zoneinfo.ZoneInfo("Europe/Berlin")),
        ("", UTC),
        ("Mars/Olympus", UTC),
        ("../../etc/passwd", UTC),
    ],
)
def test_a_users_zone_falls_back_to_utc_when_unset_or_unknown(name, zone):
    assert UserFactory.build(timezone=name).zone == zone
