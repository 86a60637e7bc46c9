"""The Redis cache backend: one client object per connection pool, and an outage is a miss.

Django's client builds a new `redis.Redis` around its pool on every cache call, about 85 µs of
CPU, as much as the GET itself; the write path makes one such call per request (the API key).
A `redis.Redis` object is safe to share between threads (each command borrows a connection from
the pool), so one per pool serves them all.

Everything LangOps keeps in the cache can be recomputed (API-key lookups, rate-limit windows,
sessions already written), so Redis being down must not fail a request: an operation that cannot
reach Redis answers as a miss (the API key is read from the database, the rate limit lets the
request through, as Langfuse's does), and for a few seconds after such a failure the cache is not
asked at all, so that requests do not each wait for a connection timeout.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("langops.cache")

OUTAGE_SECONDS = 5.0  # how long the cache is skipped after Redis could not be reached


class _Outage:
    """When Redis last failed, shared by the process's threads."""

    def __init__(self) -> None:
        self.until = 0.0
        self._lock = threading.Lock()

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self, exc: Exception) -> None:
        with self._lock:
            if not self.active():
                logger.warning("cache unavailable, treated as empty for %ss: %s", OUTAGE_SECONDS, exc)
            self.until = time.monotonic() + OUTAGE_SECONDS


outage = _Outage()


class _SharedClientCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # a race builds two for one pool, and either serves
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _or(self, fallback: Any, operation: Callable[..., Any], *args: Any) -> Any:
        """`operation(*args)`, or `fallback` when Redis cannot be reached (now or moments ago)."""
        if outage.active():
            return fallback
        try:
            return operation(*args)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            outage.start(exc)
            return fallback

    def add(self, key, value, timeout):
        return self._or(False, super().add, key, value, timeout)

    def get(self, key, default):
        return self._or(default, super().get, key, default)

    def set(self, key, value, timeout):
        return self._or(None, super().set, key, value, timeout)

    def touch(self, key, timeout):
        return self._or(False, super().touch, key, timeout)

    def delete(self, key):
        return self._or(False, super().delete, key)

    def get_many(self, keys):
        return self._or({}, super().get_many, keys)

    def has_key(self, key):
        return self._or(False, super().has_key, key)

    def incr(self, key, delta):
        return self._or(delta, super().incr, key, delta)  # a counter that cannot be read starts again

    def set_many(self, data, timeout):
        return self._or([], super().set_many, data, timeout)

    def delete_many(self, keys):
        return self._or(None, super().delete_many, keys)

    def clear(self):
        return self._or(False, super().clear)


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedClientCacheClient


class GuardedRedisCache(SharedClientRedisCache):
    """For counters that guard something (the console's login rate limit): during a Redis outage
    they count in this process's memory instead of letting every attempt through. A limit then
    holds per web process rather than per server, which still bounds guessing; after the outage
    the counts in Redis apply again. (Ingestion's rate limit stays on the plain cache: it fails
    open on purpose, so that no trace is refused for want of a counter.)"""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._local = LocMemCache(f"langops-guarded-{server}", {"TIMEOUT": self.default_timeout})

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        added = super().add(key, value, timeout, version)
        return self._local.add(key, value, timeout, version) if outage.active() else added

    def get(self, key, default=None, version=None):
        found = super().get(key, default, version)
        return self._local.get(key, default, version) if outage.active() else found

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        super().set(key, value, timeout, version)
        if outage.active():
            self._local.set(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        count = super().incr(key, delta, version)
        return self._local.incr(key, delta, version) if outage.active() else count

    def delete(self, key, version=None):
        deleted = super().delete(key, version)
        return self._local.delete(key, version) or deleted
