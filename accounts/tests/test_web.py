from http import HTTPStatus

from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

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
