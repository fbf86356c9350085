"""The load generator against the constant server: every request counted, answered and timed."""

from __future__ import annotations

import collections
from collections.abc import Iterator

import pytest

from bench.constant_server import start_constant_server, stop_process
from bench.loadgen import AttackResult, Target, attack


@pytest.fixture(scope="module")
def constant_url() -> Iterator[str]:
    proc, port = start_constant_server()
    try:
        yield f"http://127.0.0.1:{port}/constant"
    finally:
        stop_process(proc)


def _result(latencies_ms: list[float], errors: int = 0) -> AttackResult:
    return AttackResult(
        rate=1.0,
        duration_s=1.0,
        latencies_ms=latencies_ms,
        status_codes=collections.Counter({200: len(latencies_ms)}),
        errors=errors,
        achieved_rate=1.0,
    )


def test_percentile_interpolates_between_closest_ranks() -> None:
    result = _result([5.0, 1.0, 4.0, 2.0, 3.0], errors=1)
    assert result.percentile(0) == 1.0
    assert result.percentile(50) == 3.0
    assert result.percentile(100) == 5.0
    assert result.percentile(90) == pytest.approx(4.6)
    assert result.percentile(12.5) == pytest.approx(1.5)
    assert result.success_ratio() == pytest.approx(0.8)
    with pytest.raises(ValueError, match="outside"):
        result.percentile(101)
    with pytest.raises(ValueError, match="no values"):
        _result([]).percentile(50)


def test_attack_sends_every_request_at_the_offered_rate(constant_url: str) -> None:
    targets = [
        Target("GET", constant_url),
        Target("POST", constant_url, {"Content-Type": "application/json"}, b'{"sku": "SKU-1"}'),
    ]
    result = attack(targets, rate=200, duration_s=1.0, name="test")

    assert abs(len(result.latencies_ms) - 200) <= 2
    assert result.status_codes == collections.Counter({200: len(result.latencies_ms)})
    assert result.errors == 0
    assert result.success_ratio() == 1.0
    assert 150 < result.achieved_rate < 250
    p50, p99, top = result.percentile(50), result.percentile(99), result.percentile(100)
    assert 0 < p50 <= p99 <= top == max(result.latencies_ms)
