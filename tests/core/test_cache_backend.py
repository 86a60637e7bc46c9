import threading

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.core.cache import GuardedRedisCache, SharedClientRedisCache, outage

pytestmark = pytest.mark.skipif(
    settings.CACHES["default"]["BACKEND"] != "apps.core.cache.SharedClientRedisCache", reason="needs Redis (REDIS_URL)"
)


def test_one_client_serves_every_call_and_thread():
    clients = {id(cache._cache.get_client(write=w)) for w in (True, False)}
    assert len(clients) == 1

    def work(n: int) -> None:
        for i in range(50):
            cache.set(f"shared-client-{n}-{i}", {"n": n, "i": i})
            assert cache.get(f"shared-client-{n}-{i}") == {"n": n, "i": i}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("shared-client-7-49") == {"n": 7, "i": 49}
    assert cache.delete("shared-client-7-49") and cache.get("shared-client-7-49") is None


@pytest.fixture
def no_outage():
    """Each test starts and ends with Redis considered reachable."""
    outage.until = 0.0
    yield
    outage.until = 0.0


def _dead_cache() -> SharedClientRedisCache:
    return SharedClientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})


def test_a_cache_that_cannot_reach_redis_answers_as_a_miss(no_outage):
    dead = _dead_cache()
    assert dead.get("k", "default") == "default"
    assert outage.active()
    assert dead.add("k", 1) is False and dead.set("k", 1) is None and dead.get_many(["k"]) == {}
    assert dead.incr("counter", 1) == 1  # a counter that cannot be read starts again (fails open)
    dead.delete_many(["k"])


def test_after_a_failure_the_cache_is_skipped_for_a_few_seconds(no_outage):
    cache.set("outage-probe", "stored")
    _dead_cache().get("k")  # fails: an outage starts
    assert cache.get("outage-probe") is None  # not asked, though this Redis is up
    outage.until = 0.0  # the window has passed
    assert cache.get("outage-probe") == "stored"


def test_a_guarded_cache_counts_in_process_memory_while_redis_is_down(no_outage):
    """The login rate limit's counters: an outage must not reset them to one on every attempt."""
    dead = GuardedRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    try:
        assert dead.add("attempts", 1, 60) is True  # Redis failed: counted here instead
        assert outage.active()
        assert dead.add("attempts", 1, 60) is False
        assert [dead.incr("attempts") for _ in range(3)] == [2, 3, 4]
        assert dead.get("attempts") == 4
        dead.set("other", "x")
        assert dead.get("other") == "x" and dead.delete("other") and dead.get("other") is None
    finally:
        dead._local.clear()


def test_a_guarded_cache_uses_redis_when_it_is_up(no_outage):
    guarded = GuardedRedisCache(settings.CACHES["default"]["LOCATION"], {})
    guarded.delete("guarded-probe")
    assert guarded.add("guarded-probe", 1, 60) is True and guarded.incr("guarded-probe") == 2
    assert cache.get("guarded-probe") == 2  # the same Redis as every process's
    assert guarded._local.get("guarded-probe") is None
    guarded.delete("guarded-probe")
