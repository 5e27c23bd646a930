from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Role


def roles(request: HttpRequest) -> dict:
    """`roles`: the names of the signed-in user's groups, for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": frozenset(), "Role": Role}

    def names():
        return frozenset(user.groups.values_list("name", flat=True))

    # Lazy: a page that never reads it pays no query.
    return {"roles": SimpleLazyObject(names), "Role": Role}
