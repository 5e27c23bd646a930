"""Forms for a doctor's schedule: weekly windows (a formset), booking settings and
time off. All times are the doctor's own wall-clock times, in their time zone."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.timezones import timezone_choices
from doctors.models import DoctorProfile

from .forms import REASON_MAX
from .models import Weekday
from .schedule import Window, overlapping

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_WINDOWS = 50
MAX_TIME_OFF = dt.timedelta(days=366)


class ClockInput(forms.TimeInput):
    """A 24-hour time typed as HH:MM. Not `<input type=time>`: Chromium shows that
    in AM/PM for an en-US browser whatever the page says, while the app writes
    every time (and every error about one) as 14:00."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={
                "inputmode": "numeric",
                "pattern": r"([01]?[0-9]|2[0-3])[:.]?[0-5][0-9]",
                "placeholder": "09:00",
                "autocomplete": "off",
                "size": "5",
                **(attrs or {}),
            },
            format="%H:%M",
        )


class ClockTimeField(forms.TimeField):
    """A wall-clock time in 24-hour notation: 14:00 (also 14.00 or 1400, for phone
    keypads without a colon). Anything else is refused with the expected form and
    stays in the field as typed."""

    widget = ClockInput
    input_formats = ["%H:%M", "%H:%M:%S", "%H.%M", "%H%M"]
    default_error_messages = {
        "invalid": _("Enter a time as HH:MM, e.g. 09:30."),
    }


class MarkInvalidMixin:
    """Adds Bootstrap's `is-invalid` to fields with errors, for hand-laid forms."""

    def full_clean(self):
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes:
                    widget.attrs["class"] = f"{classes} is-invalid".strip()
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class WindowForm(MarkInvalidMixin, forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", _("Choose a day"))] + Weekday.choices,
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    start_time = ClockTimeField(
        label=_("From"), widget=ClockInput(attrs={"class": "form-control"})
    )
    end_time = ClockTimeField(
        label=_("Until"), widget=ClockInput(attrs={"class": "form-control"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start is not None and end is not None and end <= start:
            self.add_error(
                "end_time",
                forms.ValidationError(
                    _("The end must be after the start (%(start)s)."),
                    code="end_before_start",
                    params={"start": start.strftime("%H:%M")},
                ),
            )
        return cleaned


def overlap_error(earlier: Window) -> forms.ValidationError:
    """The refusal of a window overlapping `earlier` (`schedule.overlapping`)."""
    return forms.ValidationError(
        _("Overlaps %(day)s %(start)s–%(end)s: windows on one day must not overlap."),
        code="overlap",
        params={
            "day": Weekday(earlier.weekday).label,
            "start": earlier.start_time.strftime("%H:%M"),
            "end": earlier.end_time.strftime("%H:%M"),
        },
    )


class BaseWindowFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        # Among the windows that are valid on their own, so one pass shows both
        # a window ending before it starts and two others overlapping.
        forms_kept = [form for form in self._kept_forms() if not form.errors]
        windows = [self._window(form) for form in forms_kept]
        for index, other in overlapping(windows).items():
            form = forms_kept[index]
            form.add_error("start_time", self.overlap_error(windows[other]))
            form.mark_invalid()

    def overlap_error(self, earlier: Window) -> forms.ValidationError:
        return overlap_error(earlier)

    def _kept_forms(self) -> list[forms.Form]:
        """Forms filled in and not marked for removal."""
        return [
            form
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]

    @staticmethod
    def _window(form: forms.Form) -> Window:
        data = form.cleaned_data
        return Window(data["weekday"], data["start_time"], data["end_time"])

    def windows(self) -> list[Window]:
        """The windows kept (filled in, not marked for removal), after is_valid()."""
        return sorted(
            (self._window(form) for form in self._kept_forms()),
            key=lambda w: (w.weekday, w.start_time),
        )


WindowFormSet = forms.formset_factory(
    WindowForm,
    formset=BaseWindowFormSet,
    extra=3,
    can_delete=True,
    max_num=MAX_WINDOWS,
    validate_max=True,
    absolute_max=MAX_WINDOWS,
)


# --- The availability page's week: a switch per weekday and its time ranges ---------


class WeekWindowForm(WindowForm):
    """One time range in the week editor: the API's window form (same checks), its
    day carried by the row it sits in. A range with both times empty is skipped,
    and so is every range of a day switched off (its typed times stay on the page
    in case the day is switched back on)."""

    def __init__(self, *args, closed_days=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].widget = forms.HiddenInput()
        self.closed_days = closed_days

    def has_changed(self) -> bool:
        if self.day in self.closed_days:
            return False
        return any(self[name].value() for name in ("start_time", "end_time"))

    @property
    def day(self) -> int | None:
        try:
            return int(self["weekday"].value())
        except (TypeError, ValueError):
            return None


WeekWindowFormSet = forms.formset_factory(
    WeekWindowForm,
    formset=BaseWindowFormSet,
    extra=0,
    max_num=MAX_WINDOWS,
    validate_max=True,
    # Spare rows and the rows of days switched off come on top of the windows.
    absolute_max=MAX_WINDOWS * 2,
)

PREFIX = "windows"
WEEKDAYS = [int(day) for day in Weekday.values]


def _open_field(day: int) -> str:
    return f"open_{day}"


class WeekDaysForm(forms.Form):
    """The on/off switch of each weekday."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in Weekday.choices:
            self.fields[_open_field(day)] = forms.BooleanField(
                label=_("Open on %(day)s") % {"day": label},
                required=False,
                widget=forms.CheckboxInput(
                    attrs={"class": "form-check-input day-switch", "role": "switch"}
                ),
            )


@dataclass
class Row:
    weekday: int
    start: str = ""
    end: str = ""
    index: int | None = None  # its place in the posted page


class WeekEditor:
    """The week as the page shows it: which days are open and their ranges, in
    order of the day. Bound to the posted page (`from_post`) or the saved windows
    (`from_windows`); `forms()` gives the switches and the ranges as the windows
    formset, which validates them as the API's windows are validated."""

    def __init__(self, open_days: set[int], rows: list[Row], raw=None):
        self.open_days = set(open_days)
        self.rows = rows
        self.raw = raw  # the posted data, when its management form is unusable

    @classmethod
    def from_windows(cls, windows) -> "WeekEditor":
        rows = [
            Row(w.weekday, w.start_time.strftime("%H:%M"), w.end_time.strftime("%H:%M"))
            for w in windows
        ]
        return cls({row.weekday for row in rows}, rows)

    @classmethod
    def from_post(cls, data) -> "WeekEditor":
        open_days = {day for day in WEEKDAYS if data.get(_open_field(day))}
        try:
            total = int(data.get(f"{PREFIX}-TOTAL_FORMS", ""))
        except ValueError:
            return cls(open_days, [], raw=data)
        rows = []
        for index in range(min(max(total, 0), WeekWindowFormSet.absolute_max)):
            try:
                day = int(data.get(f"{PREFIX}-{index}-weekday", ""))
            except ValueError:
                continue
            if day not in WEEKDAYS:
                continue
            rows.append(
                Row(
                    day,
                    data.get(f"{PREFIX}-{index}-start_time", "").strip(),
                    data.get(f"{PREFIX}-{index}-end_time", "").strip(),
                    index,
                )
            )
        editor = cls(open_days, rows)
        editor.action = editor._apply(data)
        return editor

    action = None

    def _apply(self, data) -> str | None:
        """The page's buttons without JavaScript: add a range to a day, remove one,
        copy a day's ranges to the other open days. Returns the button used."""
        if "add" in data:
            day = _day(data["add"])
            if day is not None:
                self.open_days.add(day)
                self.rows.append(Row(day))
            return "add"
        if "remove" in data:
            self.rows = [row for row in self.rows if str(row.index) != data["remove"]]
            return "remove"
        if "copy" in data:
            day = _day(data["copy"])
            if day is not None:
                self.copy_to_open_days(day)
            return "copy"
        return None

    def copy_to_open_days(self, day: int) -> None:
        """The ranges of `day` replace those of every other open day."""
        ranges = [(r.start, r.end) for r in self.rows if r.weekday == day]
        ranges = [(start, end) for start, end in ranges if start or end]
        targets = self.open_days - {day}
        self.rows = [row for row in self.rows if row.weekday not in targets]
        self.rows += [Row(d, start, end) for d in targets for start, end in ranges]

    def data(self) -> dict:
        """The rows in day order, each open day with at least one (empty) range."""
        rows = sorted(self.rows, key=lambda row: row.weekday)
        for day in WEEKDAYS:
            if not any(row.weekday == day for row in rows):
                rows.append(Row(day))
        rows.sort(key=lambda row: row.weekday)
        data = {
            f"{PREFIX}-TOTAL_FORMS": str(len(rows)),
            f"{PREFIX}-INITIAL_FORMS": "0",
            f"{PREFIX}-MIN_NUM_FORMS": "0",
            f"{PREFIX}-MAX_NUM_FORMS": str(MAX_WINDOWS),
        }
        for index, row in enumerate(rows):
            data[f"{PREFIX}-{index}-weekday"] = str(row.weekday)
            data[f"{PREFIX}-{index}-start_time"] = row.start
            data[f"{PREFIX}-{index}-end_time"] = row.end
        for day in self.open_days:
            data[_open_field(day)] = "on"
        return data

    def forms(self) -> tuple[WeekDaysForm, BaseWindowFormSet]:
        data = self.raw if self.raw is not None else self.data()
        closed = frozenset(set(WEEKDAYS) - self.open_days)
        days_form = WeekDaysForm(data)
        formset = WeekWindowFormSet(
            data, prefix=PREFIX, form_kwargs={"closed_days": closed}
        )
        return days_form, formset


def _day(value: str) -> int | None:
    try:
        day = int(value)
    except (TypeError, ValueError):
        return None
    return day if day in WEEKDAYS else None


def valid_week(days_form: WeekDaysForm, formset: BaseWindowFormSet) -> bool:
    """Both valid, and every open day with at least one range."""
    if not (formset.is_valid() and days_form.is_valid()):
        return False
    days = {window.weekday for window in formset.windows()}
    for day, label in Weekday.choices:
        if days_form.cleaned_data[_open_field(day)] and day not in days:
            days_form.add_error(
                _open_field(day),
                forms.ValidationError(
                    _("Add the hours of %(day)s, or switch the day off."),
                    code="open_without_hours",
                    params={"day": label},
                ),
            )
    return not days_form.errors


def week_rows(days_form: WeekDaysForm, formset: BaseWindowFormSet) -> list[dict]:
    """What the page lays out: each weekday, its switch and its range forms."""
    return [
        {
            "day": day,
            "label": label,
            "switch": days_form[_open_field(day)],
            "ranges": [form for form in formset.forms if form.day == day],
        }
        for day, label in Weekday.choices
    ]


class BookingSettingsForm(forms.Form):
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"),
        min_value=10,
        max_value=120,
        help_text=_("10 to 120 minutes."),
    )
    buffer_minutes = forms.IntegerField(
        label=_("Buffer between appointments (minutes)"),
        min_value=0,
        max_value=60,
        help_text=_("0 to 60 minutes of rest after each slot."),
    )
    min_notice_hours = forms.IntegerField(
        label=_("Minimum notice (hours)"),
        min_value=0,
        max_value=720,
        help_text=_("How long before its start a slot can still be booked (0–720)."),
    )
    horizon_days = forms.IntegerField(
        label=_("Booking horizon (days)"),
        min_value=1,
        max_value=180,
        help_text=_("How many days ahead patients can book (1–180)."),
    )
    auto_confirm = forms.BooleanField(
        label=_("Confirm bookings automatically"), required=False
    )
    # Here, not on the profile page: moving the zone moves every future slot, and
    # this page's save regenerates them. Empty keeps the current zone (API clients).
    timezone = forms.ChoiceField(
        label=_("Practice time zone"),
        choices=[("", "—"), *timezone_choices()],
        required=False,
        help_text=_("Your weekly hours and time off are read in this zone."),
    )

    @classmethod
    def initial_for(cls, doctor: DoctorProfile) -> dict:
        return {
            "slot_minutes": doctor.slot_minutes,
            "buffer_minutes": doctor.buffer_minutes,
            "min_notice_hours": int(doctor.min_notice.total_seconds() // 3600),
            "horizon_days": doctor.booking_horizon.days,
            "auto_confirm": doctor.auto_confirm,
            "timezone": doctor.timezone,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "slot_minutes": data["slot_minutes"],
            "buffer_minutes": data["buffer_minutes"],
            "min_notice": dt.timedelta(hours=data["min_notice_hours"]),
            "booking_horizon": dt.timedelta(days=data["horizon_days"]),
            "auto_confirm": data["auto_confirm"],
            "zone_name": data["timezone"] or None,
        }


class TimeOffForm(forms.Form):
    """Whole days (leave the times empty) or part of a day, in the doctor's zone."""

    first_day = forms.DateField(label=_("First day"), widget=DATE_WIDGET)
    from_time = ClockTimeField(
        label=_("From (time)"),
        required=False,
        help_text=_("Leave empty to start at the beginning of the first day."),
    )
    last_day = forms.DateField(label=_("Last day"), widget=DATE_WIDGET)
    until_time = ClockTimeField(
        label=_("Until (time)"),
        required=False,
        help_text=_("Leave empty to include the whole last day."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Only you see this, e.g. “Conference” or “Holiday”."),
    )
    # Asked once the time off turns out to cover booked visits
    # (services.add_time_off refuses until it knows).
    on_booked = forms.ChoiceField(
        label=_("The booked visits in this time"),
        choices=[
            ("cancel", _("Cancel them and send each patient the message below")),
            ("keep", _("Keep them: I will see these patients")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the patients"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        help_text=_(
            "Each patient reads it, with a link to your next free times. Needed "
            "when you cancel."
        ),
    )

    def __init__(self, *args, zone: ZoneInfo, now: dt.datetime | None = None, **kw):
        super().__init__(*args, **kw)
        self.zone = zone
        self.now = now or timezone.now()

    def _clean_day(self, name: str) -> dt.date:
        # Far-future dates overflow datetime arithmetic below (9999-12-31 + 1 day).
        day = self.cleaned_data[name]
        if day.year > self.now.year + 5:
            raise forms.ValidationError(
                _("Choose a date within the next five years."), code="too_far"
            )
        return day

    def clean_first_day(self) -> dt.date:
        return self._clean_day("first_day")

    def clean_last_day(self) -> dt.date:
        return self._clean_day("last_day")

    def clean(self):
        cleaned = super().clean()
        first_day, last_day = cleaned.get("first_day"), cleaned.get("last_day")
        if first_day is None or last_day is None:
            return cleaned
        start = dt.datetime.combine(
            first_day, cleaned.get("from_time") or dt.time(0), tzinfo=self.zone
        )
        if cleaned.get("until_time"):
            end = dt.datetime.combine(last_day, cleaned["until_time"], tzinfo=self.zone)
        else:
            end = dt.datetime.combine(
                last_day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone
            )
        field = "until_time" if cleaned.get("until_time") else "last_day"
        if end <= start:
            self.add_error(
                field,
                forms.ValidationError(
                    _("Time off must end after it starts."), code="end_before_start"
                ),
            )
        elif end <= self.now:
            self.add_error(
                field,
                forms.ValidationError(
                    _("This time off is already over: choose a future end."),
                    code="in_the_past",
                ),
            )
        elif end - start > MAX_TIME_OFF:
            self.add_error(
                "last_day",
                forms.ValidationError(
                    _("Time off can last at most a year; add another one after it."),
                    code="too_long",
                ),
            )
        else:
            cleaned["starts_at"] = start.astimezone(dt.UTC)
            cleaned["ends_at"] = end.astimezone(dt.UTC)
        return cleaned


class SickDayForm(forms.Form):
    message = forms.CharField(
        label=_("Message to today's patients"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        help_text=_("Each patient reads it, with a link to your next free times."),
    )


# --- Date overrides: one date's own hours ------------------------------------------


def date_overlap_error(earlier: Window) -> forms.ValidationError:
    """The refusal of a date's window overlapping `earlier` (same day)."""
    return forms.ValidationError(
        _("Overlaps %(start)s–%(end)s: windows on one day must not overlap."),
        code="overlap",
        params={
            "start": earlier.start_time.strftime("%H:%M"),
            "end": earlier.end_time.strftime("%H:%M"),
        },
    )


class OverrideWindowForm(WindowForm):
    """A window of one date: the weekly window's form without the weekday."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["weekday"]


class BaseOverrideWindowFormSet(BaseWindowFormSet):
    """The weekly windows' formset and overlap rule, for the windows of one date
    (all on one day)."""

    @staticmethod
    def _window(form: forms.Form) -> Window:
        data = form.cleaned_data
        return Window(0, data["start_time"], data["end_time"])

    def overlap_error(self, earlier: Window) -> forms.ValidationError:
        return date_overlap_error(earlier)

    def times(self) -> list[tuple[dt.time, dt.time]]:
        """The (start, end) of each window kept, after is_valid()."""
        return [(w.start_time, w.end_time) for w in self.windows()]


OverrideWindowFormSet = forms.formset_factory(
    OverrideWindowForm,
    formset=BaseOverrideWindowFormSet,
    extra=3,
    can_delete=True,
    max_num=10,
    validate_max=True,
    absolute_max=10,
)


class DateOverrideForm(MarkInvalidMixin, forms.Form):
    """The date, and whether the practice is closed that day; the windows come
    from an OverrideWindowFormSet checked with it (`check_windows`)."""

    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    closed = forms.BooleanField(
        label=_("Closed all day"),
        required=False,
        help_text=_("Tick to take no bookings that day; leave the hours empty."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Only you see this, e.g. “Late opening” or “Public holiday”."),
    )

    def __init__(self, *args, zone: ZoneInfo, now: dt.datetime | None = None, **kw):
        super().__init__(*args, **kw)
        self.today = (now or timezone.now()).astimezone(zone).date()

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if day < self.today:
            raise forms.ValidationError(
                _("This date has passed: choose today or a later one."),
                code="in_the_past",
            )
        if day.year > self.today.year + 5:
            raise forms.ValidationError(
                _("Choose a date within the next five years."), code="too_far"
            )
        return day

    def check_windows(self, formset: BaseOverrideWindowFormSet) -> bool:
        """Whether the date's hours agree with `closed` (after both validated):
        closed takes no hours, open needs at least one window."""
        if not self.is_valid():
            return False
        closed, times = self.cleaned_data["closed"], formset.times()
        if closed and times:
            self.add_error(
                "closed",
                forms.ValidationError(
                    _("A closed day has no hours: remove them or untick “Closed”."),
                    code="closed_with_hours",
                ),
            )
        elif not closed and not times:
            self.add_error(
                "closed",
                forms.ValidationError(
                    _("Add at least one window of hours, or tick “Closed all day”."),
                    code="no_hours",
                ),
            )
        self.mark_invalid()
        return not self.errors


def override_forms(
    data=None, *, zone: ZoneInfo, override=None
) -> tuple[DateOverrideForm, BaseOverrideWindowFormSet]:
    """The override page's form and windows formset (bound when `data`), filled
    from `override` when editing one."""
    initial = windows = None
    if override is not None:
        initial = {"date": override.date, "note": override.note}
        windows = [
            {"start_time": w.start_time, "end_time": w.end_time}
            for w in override.windows.all()
        ]
        initial["closed"] = not windows
    form = DateOverrideForm(data, zone=zone, initial=initial)
    formset = OverrideWindowFormSet(data, initial=windows, prefix="windows")
    return form, formset


def valid_override(form: DateOverrideForm, formset: BaseOverrideWindowFormSet) -> bool:
    """Both valid, and agreeing on whether the day is closed."""
    windows_valid = formset.is_valid()
    return form.is_valid() and windows_valid and form.check_windows(formset)
