import secrets

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Role

# A version per user, read before their groups are: a change to their groups
# replaces it on commit, so a value stored from an older read is never found.
_VERSION = "roles-version:{}"


def version_key(user_id: int) -> str:
    """The cache key holding the version of the user's role names."""
    return _VERSION.format(user_id)


def _version(user_id: int) -> str:
    key = version_key(user_id)
    found = cache.get(key)
    if found is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        found = cache.get(key)
    return found


def forget_roles(user_ids) -> None:
    """On commit: these users' role names are read again on their next page."""
    ids = list(user_ids)
    transaction.on_commit(
        lambda: cache.set_many(
            {_VERSION.format(pk): secrets.token_hex(8) for pk in ids}, timeout=None
        )
    )


def on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """User.groups changed, from either side (user.groups.add or group.user_set)."""
    if not action.startswith("post_"):
        return
    if not reverse:
        forget_roles([instance.pk])
    elif pk_set:
        forget_roles(pk_set)
    else:  # a group's users cleared
        forget_roles(instance.user_set.values_list("pk", flat=True))


def on_group_changed(sender, instance, **kwargs) -> None:
    """A group renamed or deleted: its members' role names change."""
    forget_roles(instance.user_set.values_list("pk", flat=True))


def roles(request: HttpRequest) -> dict:
    """`roles`: the names of the signed-in user's groups, for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": frozenset(), "Role": Role}

    def names():
        key = f"roles:{user.pk}:{_version(user.pk)}"
        found = cache.get(key)
        if found is None:
            found = frozenset(user.groups.values_list("name", flat=True))
            cache.set(key, found, timeout=24 * 60 * 60)
        return found

    # Lazy: a page that never reads it pays nothing; from the cache after once.
    return {"roles": SimpleLazyObject(names), "Role": Role}
