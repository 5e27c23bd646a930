"""The shared cache (Redis) that keeps the site up when Redis is not.

Everything the cache holds here is counters (rate limits: django-ratelimit, DRF
throttles, allauth's login limits) and short-lived copies. When Redis cannot be
reached, each operation runs on this process's own memory instead, with a logged
warning: limits keep counting per process (a login limit still stops a brute
force, just per worker) and nothing answers 500. Redis is tried again after
RETRY_AFTER seconds, so a dead server costs one failed connect per process per
interval, not one per request.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

UNREACHABLE = (ConnectionInterrupted, RedisError, OSError)

# The operations Django's cache API has; each falls back as a whole.
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "set_many",
    "delete_many",
    "has_key",
    "incr",
    "decr",
    "clear",
    "get_or_set",
)


class _Outage:
    """When Redis last failed, per process (Django makes one cache object per
    thread, so this state lives beside them, not in them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self, seconds: float, error: Exception) -> None:
        with self.lock:
            first = not self.active()
            self.until = time.monotonic() + seconds
        if first:
            logger.warning(
                "Redis unreachable (%s): rate limits and cached copies use this "
                "process's memory; retrying in %s s",
                error,
                seconds,
            )


_outages: dict[str, _Outage] = {}


def _fallback(name: str):
    def operation(self, *args, **kwargs):
        if not self._outage.active():
            try:
                return getattr(super(FallbackRedisCache, self), name)(*args, **kwargs)
            except UNREACHABLE as error:
                self._outage.start(self.retry_after, error)
        return getattr(self._local, name)(*args, **kwargs)

    operation.__name__ = name
    return operation


class FallbackRedisCache(RedisCache):
    """django-redis, falling back to this process's memory while Redis is down.

    OPTIONS["RETRY_AFTER"]: seconds between attempts to reach Redis again (5)."""

    def __init__(self, server: str, params: dict) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._local = LocMemCache(f"fallback:{server}", {"OPTIONS": {}})
        self._outage = _outages.setdefault(server, _Outage())

    def reachable(self) -> bool:
        """Whether Redis answers now (for /healthz); never raises."""
        try:
            return bool(self.client.get_client().ping())
        except UNREACHABLE as error:
            self._outage.start(self.retry_after, error)
            return False


for _name in OPERATIONS:
    setattr(FallbackRedisCache, _name, _fallback(_name))
