"""The directory's one filter definition, shared by /doctors/ and /api/v1/doctors/."""

import difflib
import re
from datetime import datetime, timedelta

import django_filters
import django_filters.fields
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import cache, selectors
from .models import DoctorProfile, Language, Specialization

# Longer queries are cut: nobody types more, and each word costs a join condition.
MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 5

# Every ordering ends with the primary key, so pages never repeat or skip a doctor.
SORTS = {
    "popular": ("-followers_count", "id"),
    "rating": ("-rating_avg", "-rating_count", "id"),
    "name": ("user__full_name", "id"),
    "newest": ("-created_at", "id"),
    "next_available": selectors.NEXT_AVAILABLE_ORDER,
}
SORT_CHOICES = [
    ("popular", _("Most followed")),
    ("rating", _("Highest rated")),
    ("name", _("Name (A–Z)")),
    ("newest", _("Newest")),
    ("next_available", _("Next available")),
]
DEFAULT_SORT = "popular"
AVAILABLE_WITHIN_CHOICES = [
    ("1", _("Within 24 hours")),
    ("3", _("Within 3 days")),
    ("7", _("Within a week")),
    ("14", _("Within 2 weeks")),
    ("30", _("Within 30 days")),
]


class LenientChoiceField(django_filters.fields.ChoiceField):
    """A choice that ignores what it does not know (an old link, a typo, junk)
    instead of failing the whole search: the value becomes "" (no filter).
    Matches case-insensitively and returns the choice's own spelling."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        wanted = value.casefold()
        for key, _label in self.choices:
            if str(key).casefold() == wanted:
                return str(key)
        return ""

    def validate(self, value):
        # to_python already dropped unknown values; nothing is required.
        pass


class LenientChoiceFilter(django_filters.ChoiceFilter):
    field_class = LenientChoiceField


class SearchField(forms.CharField):
    def to_python(self, value):
        return super().to_python(value)[:MAX_QUERY_LENGTH].strip()


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


# Typo tolerance: a query word found in no word of the directory is replaced by
# the closest one (difflib's ratio at least CORRECTION_CUTOFF); shorter words
# than MIN_CORRECTED_LENGTH have too many near neighbours to guess.
CORRECTION_CUTOFF = 0.8
MIN_CORRECTED_LENGTH = 4
_WORD = re.compile(r"\w+")


def _vocabulary() -> list[str]:
    """Every word a search can find (casefolded, letters only): specialization
    names, the approved doctors' names, cities and clinics. Two queries."""
    texts = list(Specialization.objects.values_list("name", flat=True))
    rows = DoctorProfile.objects.approved().values_list(
        "user__full_name", "city", "clinic_name"
    )
    texts += [" ".join(row) for row in rows]
    # Words only: numbers and codes are not misspelt, they are wrong.
    words = {word for text in texts for word in _WORD.findall(text.casefold())}
    return sorted(word for word in words if word.isalpha())


def _choices() -> tuple[list, list, list]:
    """The filter's choices: specializations and languages (id, slug, name), the
    approved doctors' cities."""
    cities = (
        DoctorProfile.objects.approved()
        .order_by("city")
        .values_list("city", flat=True)
        .distinct()
    )
    return (
        list(Specialization.objects.values_list("id", "slug", "name")),
        list(Language.objects.values_list("id", "slug", "name")),
        list(cities),
    )


class DoctorFilter(django_filters.FilterSet):
    """Search, filters and sort of the doctor directory.

    Unknown values are ignored, never an error. Build it with the request's GET
    data and (optionally) the request, whose user decides `is_followed`; the base
    queryset defaults to `selectors.directory(...)`, which `next_available` needs.
    """

    q = SearchFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, specialty, clinic or city"),
                "maxlength": MAX_QUERY_LENGTH,
                "autocomplete": "off",
            }
        ),
    )
    specialization = LenientChoiceFilter(
        label=_("Specialization"),
        method="filter_specialization",
        empty_label=_("Any specialty"),
    )
    city = LenientChoiceFilter(
        label=_("City"), field_name="city", empty_label=_("Any city")
    )
    language = LenientChoiceFilter(
        label=_("Language"), method="filter_language", empty_label=_("Any language")
    )
    available_within = LenientChoiceFilter(
        label=_("Available"),
        method="filter_available_within",
        choices=AVAILABLE_WITHIN_CHOICES,
        empty_label=_("Any time"),
    )
    sort = LenientChoiceFilter(
        label=_("Sort by"),
        method="filter_sort",  # applied last, in filter_queryset
        choices=SORT_CHOICES,
        empty_label=None,
    )

    class Meta:
        model = DoctorProfile
        fields: list[str] = []

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        now: datetime | None = None,
    ):
        self.now = now or timezone.now()
        if data is not None and len(data.get("q") or "") > MAX_QUERY_LENGTH:
            # Cut what is echoed back in the search box too, not only the search.
            data = data.copy()
            data["q"] = data["q"][:MAX_QUERY_LENGTH]
        if queryset is None:
            user = getattr(request, "user", None)
            queryset = selectors.directory(user=user, now=self.now)
        # Always bound: no parameters at all is the default search.
        super().__init__(
            data if data is not None else {},
            queryset,
            request=request,
            prefix=prefix,
        )
        # From the cache, under the directory's listing version (see doctors.cache);
        # else one query each, whatever the page. The ids let filters skip a join.
        specializations, languages, cities = cache.listing_get("choices", (), _choices)
        self._specialization_ids = {slug: pk for pk, slug, _name in specializations}
        self._language_ids = {slug: pk for pk, slug, _name in languages}
        self._specialization_names = [
            (pk, name.casefold()) for pk, _slug, name in specializations
        ]
        self.filters["specialization"].extra["choices"] = [
            (slug, name) for _pk, slug, name in specializations
        ]
        self.filters["language"].extra["choices"] = [
            (slug, name) for _pk, slug, name in languages
        ]
        self.filters["city"].extra["choices"] = [(city, city) for city in cities]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Every word must match somewhere: "lee berlin" finds Dr Lee in Berlin.
        # Specializations are matched here, in the list already loaded for the
        # select, so the database compares three columns per row, not four.
        for word in value.split()[:MAX_QUERY_WORDS]:
            folded = word.casefold()
            specialization_ids = [
                pk for pk, name in self._specialization_names if folded in name
            ]
            # Names through a subquery, not the join: PostgreSQL then filters
            # the doctors on their own before joining (3x faster at 10,000).
            named = get_user_model().objects.filter(full_name__icontains=word)
            queryset = queryset.filter(
                Q(user__in=named.values("pk"))
                | Q(clinic_name__icontains=word)
                | Q(city__icontains=word)
                | Q(specialization_id__in=specialization_ids)
            )
        return queryset

    def corrected(self) -> "DoctorFilter | None":
        """This search with each query word found in no word of the directory
        replaced by the closest that is ("cardiolgy": "cardiology"), or None when
        no word needs it. The same in Python on every database; the vocabulary
        is cached under the listing version, so a new doctor or specialty
        joins it at once."""
        self.form.is_valid()
        query = self.form.cleaned_data.get("q") or ""
        vocabulary = cache.listing_get("vocabulary", (), _vocabulary)
        words, changed = [], False
        for word in query.split()[:MAX_QUERY_WORDS]:
            folded = word.casefold()
            if (
                len(folded) >= MIN_CORRECTED_LENGTH
                and folded.isalpha()
                and not any(folded in known for known in vocabulary)
            ):
                match = difflib.get_close_matches(
                    folded, vocabulary, n=1, cutoff=CORRECTION_CUTOFF
                )
                if match:
                    word, changed = match[0], True
            words.append(word)
        if not changed:
            return None
        data = self.data.copy()
        data["q"] = " ".join(words)
        return DoctorFilter(
            data,
            self.queryset,
            request=self.request,
            prefix=self.form_prefix,
            now=self.now,
        )

    def filter_specialization(self, queryset, name, value):
        return queryset.filter(specialization_id=self._specialization_ids[value])

    def filter_language(self, queryset, name, value):
        return queryset.filter(languages=self._language_ids[value])

    def filter_available_within(self, queryset, name, value):
        before = self.now + timedelta(days=int(value))
        return queryset.filter(next_available__lt=before)

    def filter_sort(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset).order_by(*SORTS[self.sort_key])
        if self.sort_key == "next_available":
            # PostgreSQL joins before it sorts, so sorting by a computed time took
            # every doctor through the user and specialization joins (20 ms at
            # 10,000 doctors): sort the doctors alone, then fetch the page's
            # users and specializations (one query each).
            queryset = queryset.select_related(None).prefetch_related(
                "user", "specialization"
            )
        return queryset

    @property
    def sort_key(self) -> str:
        self.form.is_valid()  # lenient fields: always valid, fills cleaned_data
        return self.form.cleaned_data.get("sort") or DEFAULT_SORT

    def choices(self) -> dict[str, list[str]]:
        """Each choice filter's known values (the API lists them in its 400)."""
        return {
            name: [str(key) for key, _label in self.filters[name].extra["choices"]]
            for name, filter_ in self.filters.items()
            if isinstance(filter_, LenientChoiceFilter)
        }

    def unknown(self) -> list[str]:
        """The choice filters given a value they ignored as unknown: the page
        shows everything then; the API answers 400 (a client wants to know)."""
        self.form.is_valid()
        return [
            name
            for name in self.choices()
            if self.data.get(name) and not self.form.cleaned_data.get(name)
        ]

    FILTER_NAMES = ("q", "specialization", "city", "language", "available_within")

    @property
    def active_filters(self) -> list[str]:
        """The names of the filters narrowing the list (for the empty state)."""
        self.form.is_valid()
        return [name for name in self.FILTER_NAMES if self.form.cleaned_data.get(name)]
