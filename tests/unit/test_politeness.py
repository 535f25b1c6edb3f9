"""Per-host politeness: the token bucket and which policy a host gets."""

from __future__ import annotations

import pytest

from tracker.domain.politeness import (
    MIN_DEFER_SECONDS,
    Bucket,
    HostPolicy,
    Politeness,
    host_of,
    take,
)

POLICY = HostPolicy(rate=2.0, burst=5, concurrency=3)


def test_a_new_host_starts_with_a_full_bucket_and_the_rest_waits():
    grant, bucket = take(None, 8, 100.0, POLICY)
    assert (grant.granted, bucket.tokens) == (5, 0.0)
    # one request's worth at 2 a second is half a second, but nobody comes back sooner than
    # the least wait; at one request in 4 s, the wait is 4 s
    assert grant.wait == MIN_DEFER_SECONDS
    grant, _ = take(None, 8, 100.0, HostPolicy(rate=0.25, burst=5))
    assert grant.wait == pytest.approx(4.0)


def test_the_bucket_refills_at_the_rate_and_never_past_the_burst():
    grant, _ = take(Bucket(0.0, 100.0), 10, 101.0, POLICY)
    assert grant.granted == 2  # one second at 2 a second
    grant, bucket = take(Bucket(0.0, 100.0), 10, 10_000.0, POLICY)
    assert (grant.granted, bucket.tokens) == (5, 0.0)  # an idle day saves up only the burst


def test_a_partial_request_waits_for_the_next_whole_one():
    grant, bucket = take(Bucket(0.5, 100.0), 1, 100.0, POLICY)
    assert grant.granted == 0
    assert grant.wait == pytest.approx(max(MIN_DEFER_SECONDS, 0.25))
    assert bucket.tokens == 0.5  # nothing spent


def test_a_clock_that_goes_back_refills_nothing():
    grant, bucket = take(Bucket(1.0, 200.0), 5, 150.0, POLICY)
    assert (grant.granted, bucket.tokens) == (1, 0.0)


def test_asking_for_nothing_spends_nothing():
    grant, bucket = take(Bucket(3.0, 100.0), 0, 100.0, POLICY)
    assert (grant.granted, grant.wait, bucket.tokens) == (0, 0.0, 3.0)


def test_a_host_gets_its_own_policy_or_its_parent_domains_or_the_default():
    slow = HostPolicy(rate=0.2, burst=1, concurrency=1)
    rules = Politeness(hosts={"kremlin.ru": slow, "t.me": HostPolicy(rate=1)})
    assert rules.policy("kremlin.ru") is slow
    assert rules.policy("en.kremlin.ru") is slow
    assert rules.policy("notkremlin.ru") == rules.default
    assert rules.policy("t.me").rate == 1
    assert rules.policy("127.0.0.1") == HostPolicy()


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://En.Kremlin.RU/events/feed", "en.kremlin.ru"),
        ("http://127.0.0.1:8080/f.xml", "127.0.0.1"),
        ("https://user:pw@t.me/s/x", "t.me"),
        ("http://[::1]:9/x", "::1"),
    ],
)
def test_the_host_of_a_url_is_its_lower_case_name_without_port_or_credentials(url, host):
    assert host_of(url) == host
