"""Recovery as customers see it: from the fault until their per-second success and p99 are back
within tolerance of the before window, against the physics of DNS and its parts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.report import html, markdown, recovery
from chaoscli.report.words import verdict_line
from chaoscli.sim.recovery import RecoveryRule, customer_recovery

FAST = ["engine.samples_per_s=500"]
RULE = RecoveryRule(success_ratio_min=0.99, p99_factor=1.5, p99_margin_ms=50)


def _record(name: str, sets: list[str], vars_: list[str] | None = None) -> Record:
    return journal.build(run(load(name, [*FAST, *sets], vars_), seed=0))


@pytest.fixture(scope="module")
def outage() -> Record:
    """The shipped zone outage at 120 s, 600 s of traffic, with clients' 3 s connect timeout
    and latency judged only against an absolute 5 s p99 bound."""
    loose = ["hypothesis.slow_request_ratio.max=1", "hypothesis.p99_increase_ms.max=60000"]
    return _record("az-outage", ["clients.connect_timeout_s=3", *loose])


def test_recovery_is_the_last_abnormal_second_not_the_first_normal_one() -> None:
    """A second back to normal between two bad ones does not end recovery; the second after
    the last bad one does."""
    ok = np.ones(60)
    p99 = np.full(60, 100.0)
    p99[20:30] = 900.0
    p99[34] = 400.0  # a relapse after a normal spell
    ok[36] = 0.95  # and a second of failures
    assert customer_recovery(ok, p99, 20.0, RULE, 100.0) == 17.0


def test_no_abnormal_second_recovers_at_once_and_a_bad_end_never_does() -> None:
    """Within the limit (max(x1.5, +50 ms)) is normal; a last second out of it is no recovery."""
    ok, p99 = np.ones(30), np.full(30, 140.0)
    assert customer_recovery(ok, p99, 10.0, RULE, 100.0) == 0.0
    p99[-1] = 151.0
    assert customer_recovery(ok, p99, 10.0, RULE, 100.0) is None
    p99[-1], ok[-1] = math.nan, 0.0  # a second in which nobody succeeded is not normal
    assert customer_recovery(ok, p99, 10.0, RULE, 100.0) is None


def test_zone_outage_recovers_with_dns_not_with_reroute(outage: Record) -> None:
    """Clients pinned to the dark node pay timeouts until DNS drops it and their caches
    expire: customers recover after about dns_removal_s + dns_ttl_s, far past reroute_s."""
    m = outage.metrics
    assert m is not None
    lb = outage.experiment.topology.load_balancer
    rec = m.recovery
    assert rec.status == "recovered" and m.customer_recovery_s == rec.customer_recovery_s
    assert m.reroute_s is not None and m.customer_recovery_s is not None
    assert m.customer_recovery_s > 10 * max(m.reroute_s, 1.0)
    physics = lb.dns_removal_s + lb.dns_ttl_s
    assert physics - 15 <= m.customer_recovery_s <= physics + 5
    assert rec.p99_above_limit_s >= physics - 15
    parts = [
        rec.last_target_out_of_rotation_s,
        rec.dark_node_out_of_dns_s,
        rec.client_dns_caches_expired_s,
    ]
    assert None not in parts
    assert parts == sorted(parts)  # type: ignore[type-var]
    assert rec.dark_node_out_of_dns_s == pytest.approx(lb.dns_removal_s, abs=0.2)
    assert rec.client_dns_caches_expired_s == pytest.approx(physics, abs=0.2)
    assert rec.database_writable_s is not None
    assert rec.database_writable_s == pytest.approx(m.db_write_unavailable_s, abs=1.0)


def test_a_shorter_dns_ttl_shortens_customers_recovery(outage: Record) -> None:
    """The headline follows the clients' caches: 50 s less TTL, about 50 s sooner."""
    short = _record(
        "az-outage", ["clients.connect_timeout_s=3", "topology.load_balancer.dns_ttl_s=10"]
    )
    assert short.metrics is not None and outage.metrics is not None
    long_s, short_s = outage.metrics.customer_recovery_s, short.metrics.customer_recovery_s
    assert long_s is not None and short_s is not None
    assert long_s - short_s == pytest.approx(50, abs=10)


def test_a_fault_customers_cannot_feel_recovers_at_once() -> None:
    """One millisecond more in one zone: no second leaves normal, recovery is 0 s, and the
    verdict may say customers would not have noticed."""
    r = _record("az-slowdown", [], ["latency_ms=1"])
    assert r.metrics is not None
    rec = r.metrics.recovery
    assert rec.status == "recovered" and r.metrics.customer_recovery_s == 0
    assert rec.p99_above_limit_s == 0
    word, why = verdict_line(r)
    assert word == "HELD" and "would not have noticed" in why
    assert "no request failed" in why and "per-second p99 never went above" in why


def test_a_fault_to_the_end_of_the_run_never_recovers() -> None:
    """A zone lost 30 s before the run ends: DNS still hands out its node at the end, so the
    record and every format say it did not recover within the run."""
    r = _record("az-outage", [], ["at_s=570", "duration_s=30"])
    assert r.metrics is not None
    assert r.metrics.recovery.status == "not_recovered"
    assert r.metrics.customer_recovery_s is None
    assert "not recovered within the run" in markdown.render(r)
    assert "not recovered within the run" in html.render(r)


def test_every_format_headlines_customers_recovery_over_reroute(outage: Record) -> None:
    """Markdown and HTML show customers' recovery first, reroute after it with its meaning."""
    for text in (markdown.render(outage), html.render(outage)):
        assert text.index("customers recovered") < text.index("reroute")
        assert "last client DNS cache expired" in text
        assert "no reachable node sent a request to a dead target" in text


def test_reroute_says_what_it_measures_and_is_never_a_bare_zero(outage: Record) -> None:
    """A reroute of 0 s reads as "none needed" (no reachable node sent to a dead target),
    not "reroute 0.0 s" beside the health checks' time; a reroute that took time says so."""
    m = outage.metrics
    assert m is not None and m.reroute_s == 0
    assert m.recovery.last_target_out_of_rotation_s
    text = markdown.render(outage)
    assert "reroute 0" not in text and "reroute: none needed" in text
    assert "health checks took the last dead target out of rotation" in text
    assert "reroute 25 s after the fault: until then a reachable node still sent requests" in (
        recovery.reroute(m.model_copy(update={"reroute_s": 25.0}))
    )


def test_the_verdict_says_what_was_checked_and_what_moved(outage: Record) -> None:
    """A held zone outage with p99 at seconds for minutes is no 'would not have noticed':
    the sentence names the probes and windows and how far and how long p99 moved."""
    word, why = verdict_line(outage)
    assert outage.metrics is not None and outage.windows["before"].p99_latency_ms is not None
    assert word == "HELD" and "would not have noticed" not in why
    assert "checked availability" in why and "before, during and after the fault" in why
    before = f"{outage.windows['before'].p99_latency_ms:,.0f} ms"
    during = f"{outage.windows['during'].p99_latency_ms:,.0f} ms"
    assert f"p99 rose from {before} before to {during} during the fault" in why
    assert f"for {outage.metrics.recovery.p99_above_limit_s:,.0f} s" in why


def test_without_a_before_window_recovery_is_not_measured() -> None:
    """A fault within a customer timeout of the start leaves no before window: there is no
    normal to return to, and the record says so rather than inventing one."""
    r = _record("az-outage", ["traffic.duration_s=300"], ["at_s=10"])
    assert r.metrics is not None and "before" not in r.windows
    assert r.metrics.recovery.status == "no_baseline"
    assert r.metrics.customer_recovery_s is None
    assert "no before window" in markdown.render(r)
