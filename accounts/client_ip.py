"""The client's address, one answer for every rate limit: allauth's login and reset
limits (through the account adapter), django-ratelimit (`RATELIMIT_IP_META_KEY`) and
the API's DRF throttles (`clinic.throttling`)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request.

    With no proxy (`TRUSTED_PROXY_COUNT` 0) that is `REMOTE_ADDR`, and
    `X-Forwarded-For` is ignored: anyone can write it. Behind n trusted proxies it is
    the n-th `X-Forwarded-For` entry from the right: each proxy appends the address
    it was reached from, so that entry was written by the outermost proxy we run,
    and whatever stands left of it came from the client and is not believed. A
    header shorter than n hops gives its first entry; a hop that is not an IP
    address gives `REMOTE_ADDR`."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote_addr
    hops = forwarded.split(",")
    hop = hops[-min(count, len(hops))].strip()
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return remote_addr
