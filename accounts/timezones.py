"""IANA time zone names: the short list people choose from, and the one place that
turns any name (a browser's, an API client's, an old alias) into a canonical one.

The list is the tz database's own `zone.tab`: one or more zones per country under
their current names (Asia/Kolkata, Europe/Kyiv), no old aliases (US/Eastern, GB,
Asia/Calcutta) and no Etc/ offsets, grouped by region. `tzdata.zi`'s links say
which canonical zone an alias stands for. Both files come with the `tzdata` package
(or the system's zoneinfo)."""

import zoneinfo
from functools import cache
from importlib import resources
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

UTC = "UTC"

# The order of the groups in a <select>: where most of the clinic's people are.
REGIONS = {
    "Europe": _("Europe"),
    "America": _("America"),
    "Asia": _("Asia"),
    "Africa": _("Africa"),
    "Australia": _("Australia"),
    "Pacific": _("Pacific"),
    "Atlantic": _("Atlantic"),
    "Indian": _("Indian Ocean"),
}


def _tz_file(name: str) -> str:
    """A file of the tz database: the `tzdata` package's, else the system's."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for folder in zoneinfo.TZPATH:
            path = Path(folder) / name
            if path.exists():
                return path.read_text("utf-8")
    raise FileNotFoundError(f"{name} not found in tzdata or {zoneinfo.TZPATH}")


@cache
def canonical_zones() -> frozenset[str]:
    """The names people choose from: UTC and zone.tab's zones in REGIONS."""
    names = {
        line.split("\t")[2].strip()
        for line in _tz_file("zone.tab").splitlines()
        if line and not line.startswith("#")
    }
    known = zoneinfo.available_timezones()
    return frozenset(
        {UTC} | {n for n in names if n.split("/")[0] in REGIONS and n in known}
    )


@cache
def _links() -> dict[str, str]:
    """Alias -> the zone it links to, from tzdata.zi's `L target alias` lines."""
    links = {}
    for line in _tz_file("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


def canonical(name: str | None) -> str | None:
    """The listed name for zone `name` (itself, or what the alias stands for:
    "Asia/Calcutta" -> "Asia/Kolkata", "Etc/UTC" -> "UTC"); None when `name` is
    no zone or has no listed equivalent (e.g. "Etc/GMT+5")."""
    if not name or not isinstance(name, str):
        return None
    listed = canonical_zones()
    links = _links()
    seen = set()
    while name not in listed and name in links and name not in seen:
        seen.add(name)
        name = links[name]
    if name in ("Etc/UTC", "Etc/GMT"):  # zero offset, no daylight saving: UTC
        return UTC
    return name if name in listed else None


def detected_zone(name: str | None) -> str:
    """A zone a browser reported (sign-up's hidden field, a visitor's cookie):
    its listed name, UTC when it is missing, unknown or not a place."""
    return canonical(name) or UTC


def _label(name: str) -> str:
    # "America/Argentina/Buenos_Aires" under America reads "Argentina / Buenos Aires".
    return name.split("/", 1)[1].replace("_", " ").replace("/", " / ")


@cache
def timezone_choices() -> list:
    """The <select>'s choices: UTC, then one <optgroup> per region, by city."""
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for name in canonical_zones() - {UTC}:
        groups[name.split("/")[0]].append((name, _label(name)))
    return [
        (UTC, "UTC"),
        *(
            (REGIONS[region], sorted(zones, key=lambda choice: choice[1]))
            for region, zones in groups.items()
        ),
    ]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone, e.g. Europe/Berlin."),
            code="invalid_timezone",
            params={"value": value},
        )
