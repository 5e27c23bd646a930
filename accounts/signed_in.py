"""The signed-in user's row kept in the shared cache (`FRAGMENT_CACHE`): a
signed-in request that the cache can answer then makes no database query at all
(and so no connection health check either).

The row is stored beside a per-user version, both read in one round trip
(`get_many`); the version is read *before* the row is, and bumped on commit by
every save or delete of the user and every change of their groups or
permissions, so a row read before a change is never served after it. Only the
fast path is new: a row is served only when the session's hash matches the
row's (a changed password signs the session out as ever) and the backend still
lets the user in; anything else (no row, an old secret's hash, an inactive user)
goes through Django's own `auth.get_user`, which the middleware falls back to.

Entries expire after `TIMEOUT` seconds however fresh, which bounds what a bump
lost while Redis was unreachable (each process then counts on its own memory,
clinic/cache.py) could leave behind."""

import secrets

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare

TIMEOUT = 10 * 60
_VERSION = "user-version:{}"
_ROW = "user-row:{}"


def version_key(pk) -> str:
    return _VERSION.format(pk)


def row_key(pk) -> str:
    return _ROW.format(pk)


def bump_on_commit(pk) -> None:
    """A new version of this user's row once the transaction commits."""
    if pk is not None:
        transaction.on_commit(
            lambda: cache.set(version_key(pk), secrets.token_hex(8), timeout=None)
        )


# Connected in AccountsConfig.ready.


def on_user_saved(sender, instance, **kwargs) -> None:
    bump_on_commit(instance.pk)


def on_user_m2m_changed(sender, instance, action, pk_set=None, model=None, **kw):
    """Groups or permissions added, removed or cleared, from either side."""
    user_model = auth.get_user_model()
    if isinstance(instance, user_model):
        if action.startswith("post_"):
            bump_on_commit(instance.pk)
    elif action in ("post_add", "post_remove") and model is user_model:
        for pk in pk_set or ():
            bump_on_commit(pk)
    elif action == "pre_clear":  # a group's users, while they are still its
        for pk in instance.user_set.values_list("pk", flat=True):
            bump_on_commit(pk)


def _session_user(request):
    """(user id, backend path) the session signs in, or None."""
    session = request.session
    try:
        pk = auth._get_user_session_key(request)
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    return pk, backend_path


def get_user(request):
    """Django's `auth.get_user`, the row from the cache when it can be."""
    if not settings.FRAGMENT_CACHE:
        return auth.get_user(request)
    signed_in = _session_user(request)
    if signed_in is None:
        return auth.get_user(request)
    pk, backend_path = signed_in
    keys = [version_key(pk), row_key(pk)]
    found = cache.get_many(keys)
    version, stored = found.get(keys[0]), found.get(keys[1])
    if (
        version is not None
        and isinstance(stored, tuple)
        and len(stored) == 2
        and stored[0] == version
    ):
        user = stored[1]
        session_hash = request.session.get(HASH_SESSION_KEY)
        backend = auth.load_backend(backend_path)
        if (
            session_hash
            and constant_time_compare(session_hash, user.get_session_auth_hash())
            and backend.user_can_authenticate(user)
        ):
            return user
    if version is None:
        # add: a bump between here and the read below wins over this token.
        cache.add(keys[0], secrets.token_hex(8), timeout=None)
        version = cache.get(keys[0])
    # The version read before the row is: a save committed after this read
    # leaves the row stored under it behind.
    user = auth.get_user(request)
    if user.is_authenticated and user.pk == pk and version is not None:
        cache.set(keys[1], (version, user), timeout=TIMEOUT)
    return user
