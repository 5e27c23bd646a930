"""TRUSTED_PROXY_COUNT: one client address for every limit."""

from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from django_ratelimit.core import is_ratelimited

from accounts.client_ip import client_ip
from clinic.throttling import WriteThrottle

PROXY = "10.0.0.2"


def request(forwarded: str | None = None):
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("203.0.113.7")) == PROXY
    assert client_ip(request()) == PROXY


def test_behind_one_proxy_the_last_hop_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("203.0.113.7")) == "203.0.113.7"
    assert client_ip(request()) == PROXY  # reached us without the proxy


def test_hops_written_by_the_client_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = "198.51.100.1, 198.51.100.2, 203.0.113.7"
    assert client_ip(request(spoofed)) == "203.0.113.7"


def test_behind_two_proxies_the_second_hop_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("198.51.100.1, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    assert client_ip(request("203.0.113.7")) == "203.0.113.7"  # shorter chain
    assert client_ip(request("2001:db8::1 , 10.0.0.1")) == "2001:db8::1"


def test_a_hop_that_is_no_address_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("198.51.100.1, not-an-ip")) == PROXY


def test_allauth_and_drf_read_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = request("198.51.100.1, 203.0.113.7")
    assert get_adapter().get_client_ip(spoofed) == "203.0.113.7"
    assert WriteThrottle().get_ident(spoofed) == "203.0.113.7"


def test_django_ratelimit_counts_by_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def limited(forwarded: str) -> bool:
        return is_ratelimited(
            request(forwarded), group="t", key="ip", rate="1/m", increment=True
        )

    assert not limited("203.0.113.7")
    assert limited("198.51.100.9, 203.0.113.7")  # a spoofed hop changes nothing
    assert not limited("203.0.113.8")  # another client behind the same proxy
