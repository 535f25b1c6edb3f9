"""Hosts' politeness buckets in Redis, when the broker is Redis: every worker and dispatcher
spends from the same bucket, updated atomically (WATCH/MULTI, retried on a race)."""

from __future__ import annotations

import math

import redis

from tracker.domain.politeness import Bucket, Grant, Politeness, take

_PREFIX = "tracker:host-budget:"


class RedisHostBudget:
    """Token buckets per host in Redis hashes (`tokens`, `at`), expiring when idle."""

    def __init__(self, url: str, *, prefix: str = "") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix + _PREFIX

    def spend(self, wants: dict[str, int], now: float, politeness: Politeness) -> dict[str, Grant]:
        """Spend up to `wants[host]` requests of each host's bucket at `now` (epoch seconds)."""
        return {host: self._spend(host, want, now, politeness) for host, want in wants.items()}

    def _spend(self, host: str, want: int, now: float, politeness: Politeness) -> Grant:
        policy = politeness.policy(host)
        key = self._prefix + host
        idle = math.ceil(policy.burst / policy.rate) + 60  # a full bucket needs no key
        with self._client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    saved = pipe.hmget(key, "tokens", "at")
                    bucket = None
                    if saved[0] is not None and saved[1] is not None:
                        bucket = Bucket(float(saved[0]), float(saved[1]))
                    grant, after = take(bucket, want, now, policy)
                    pipe.multi()
                    pipe.hset(key, mapping={"tokens": after.tokens, "at": after.at})
                    pipe.expire(key, idle)
                    pipe.execute()
                except redis.WatchError:
                    continue  # another dispatcher spent from it meanwhile: read it again
                return grant

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
