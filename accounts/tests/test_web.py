import datetime as dt
from http import HTTPStatus

import time_machine
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from accounts import web
from accounts.web import redirect_after_post, template_for


def request(**headers):
    req = RequestFactory().post("/", headers=headers)
    req.htmx = HtmxDetails(req)
    return req


def test_redirect_after_post_is_a_302_without_htmx():
    response = redirect_after_post(request(), "/next/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/next/"


def test_redirect_after_post_tells_htmx_to_navigate():
    response = redirect_after_post(request(**{"HX-Request": "true"}), "/next/")
    assert response["HX-Redirect"] == "/next/"


def test_template_for_gives_htmx_the_fragment_and_others_the_page():
    assert template_for(request(), "p.html", "_f.html") == "p.html"
    assert (
        template_for(request(**{"HX-Request": "true"}), "p.html", "_f.html")
        == "_f.html"
    )
    boosted = request(**{"HX-Request": "true", "HX-Boosted": "true"})
    assert template_for(boosted, "p.html", "_f.html") == "p.html"


def session_request():
    req = RequestFactory().get("/")
    req.session = SessionStore()
    return req


def test_the_page_kept_for_after_log_in_is_given_once_within_the_hour():
    req = session_request()
    web.remember_after_login(req, "/slots/resume/", "Book Dr Ada Lee")
    assert web.after_login(req)["label"] == "Book Dr Ada Lee"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)):
        assert web.after_login(req) is None
    assert web.pop_after_login(req) == "/slots/resume/"
    assert web.pop_after_login(req) is None


def test_only_a_path_on_this_site_is_kept_for_after_log_in():
    for url in ("https://elsewhere.example/", "//elsewhere.example/x", "slots/"):
        req = session_request()
        web.remember_after_login(req, url, "Book")
        assert web.pop_after_login(req) is None
