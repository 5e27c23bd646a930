"""The signed-in user's row kept in the cache (accounts.signed_in): a request the
cache answers reads no user row, and a change to the user shows on their very
next request (a save, a new password, a deactivation, a deletion, their groups);
no one gets another's row."""

from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import signed_in
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = "/"
LIST = reverse("appointments:list")


@pytest.fixture(autouse=True)
def _fragment_cache_on(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit callbacks (the version bumps)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visit(client, url=HOME):
    """(the request's user, how many queries read the user table)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        user = response.wsgi_request.user
        assert user.is_authenticated in (True, False)  # resolved inside the count
    reads = [q for q in queries if 'FROM "accounts_user"' in q["sql"]]
    return response, user, len(reads)


def test_a_second_request_reads_no_user_row():
    user = UserFactory(full_name="Ada Lovelace")
    client = browser(user)
    _response, first, reads = visit(client)
    assert first.pk == user.pk and reads == 1
    _response, second, reads = visit(client)
    assert (second.pk, second.full_name, reads) == (user.pk, "Ada Lovelace", 0)


def test_without_the_fragment_cache_the_row_is_read_each_time(settings):
    settings.FRAGMENT_CACHE = False
    client = browser(UserFactory())
    visit(client)
    assert visit(client)[2] == 1


def test_a_saved_user_shows_on_the_next_request(committed):
    user = UserFactory(full_name="Ada Lovelace", timezone="UTC")
    client = browser(user)
    visit(client)
    with committed():
        user.full_name = "Ada King"
        user.timezone = "Europe/Berlin"
        user.save()
    _response, seen, reads = visit(client)
    assert (seen.full_name, seen.timezone, reads) == ("Ada King", "Europe/Berlin", 1)


def test_a_deactivated_user_is_signed_out_on_the_next_request(committed):
    user = UserFactory()
    client = browser(user)
    visit(client, LIST)
    with committed():
        user.is_active = False
        user.save()
    response, seen, _reads = visit(client, LIST)
    assert not seen.is_authenticated
    assert response.status_code == 302


def test_a_new_password_signs_other_sessions_out(committed):
    user = UserFactory()
    client = browser(user)
    visit(client)
    with committed():
        user.set_password("a whole new secret 123")
        user.save()
    assert not visit(client)[1].is_authenticated


def test_a_new_password_signs_out_even_without_the_bump():
    """The session's hash is checked against the kept row as well."""
    user = UserFactory()
    client = browser(user)
    visit(client)
    # The row kept with the old password's hash, the session signed anew:
    # a session whose hash is not the kept row's goes through Django's check.
    session = client.session
    session["_auth_user_hash"] = "not-the-hash"
    session.save()
    assert not visit(client)[1].is_authenticated


def test_a_deleted_user_is_signed_out(committed):
    user = UserFactory()
    client = browser(user)
    visit(client)
    with committed():
        user.delete()
    assert not visit(client)[1].is_authenticated


@pytest.mark.parametrize("side", ["user", "group"])
def test_a_group_change_moves_the_version(committed, side):
    user = UserFactory()
    client = browser(user)
    visit(client)
    before = cache.get(signed_in.version_key(user.pk))
    group = Group.objects.create(name="Front desk")
    with committed():
        if side == "user":
            user.groups.add(group)
        else:
            group.user_set.add(user)
    assert cache.get(signed_in.version_key(user.pk)) != before
    assert visit(client)[2] == 1
    before = cache.get(signed_in.version_key(user.pk))
    with committed():
        group.user_set.clear()
    assert cache.get(signed_in.version_key(user.pk)) != before


def test_a_save_during_the_read_leaves_that_row_behind(committed):
    """The version is read before the row: a save committed while the row is
    read (after the version was) is never served from what that read stored."""
    user = UserFactory(full_name="Ada Lovelace")
    client = browser(user)
    real = signed_in.auth.get_user

    def read_then_rename(request):
        found = real(request)  # the old row
        with committed():
            user.full_name = "Ada King"
            user.save()
        return found

    with mock.patch.object(signed_in.auth, "get_user", read_then_rename):
        assert visit(client)[1].full_name == "Ada Lovelace"
    _response, seen, reads = visit(client)
    assert (seen.full_name, reads) == ("Ada King", 1)


def test_no_one_gets_another_s_row():
    ada, bob = UserFactory(full_name="Ada"), UserFactory(full_name="Bob")
    first, second = browser(ada), browser(bob)
    for _ in range(2):
        assert visit(first)[1].full_name == "Ada"
        assert visit(second)[1].full_name == "Bob"


def test_an_anonymous_visitor_stays_anonymous():
    assert not visit(Client())[1].is_authenticated
