import threading

import pytest
from django.conf import settings
from django.core.cache import cache

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
