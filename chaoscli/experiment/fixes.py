"""Fixes proven in the model: each finding's ``--set`` overrides are applied and the
experiment is run again (same seeds, method and hypothesis) in a fresh in-process moto,
never at the user's endpoint, and the record keeps what the re-run measured.

A fix whose re-run held is offered as such; one that helped but did not hold is offered as
"helps, not enough"; one that did not help is kept in the journal and not offered. Capacity
is found by search: the fewest instances per zone whose re-run held, so the retries' extra
load counts as it does in the model. When no single fix holds, they are tried together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from chaoscli.aws.session import in_process_session
from chaoscli.errors import ChaosError
from chaoscli.experiment import journal
from chaoscli.experiment.fix_proposals import (
    BY_ZONE,
    INSTANCES,
    counts_now,
    instance_sets,
    instances_in,
    instances_now,
)
from chaoscli.experiment.loader import Loaded, load
from chaoscli.experiment.runner import run
from chaoscli.record.findings import Finding, Fix, FixCheck, FixResult, Override, Trial
from chaoscli.record.model import Record

Phase = Callable[[str], None]
MAX_INSTANCES = 400  # the spec's limit of topology.instances_per_az
RISES = 4  # how many counts a capacity search tries upwards before it gives up
ROUNDS = 2  # how many times a combined fix takes on what its own re-run's findings propose
WORSE = 1.05  # a fix whose re-run shows 5% more visible errors made things worse


def _key(sets: Mapping[str, Override]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in sets.items()))


def _sets(key: tuple[tuple[str, Any], ...]) -> dict[str, Override]:
    """The overrides ``_key`` made ``key`` of."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in key}


def _args(sets: Mapping[str, Override]) -> list[str]:
    """The overrides as ``--set`` arguments."""
    return Fix(words="", set=dict(sets)).args()


def overloaded(r: Record) -> bool:
    """Some second from the fault on ran past 100% busy."""
    return any((w.peak_utilisation or 0.0) >= 1.0 for n, w in r.windows.items() if n != "before")


def rerun_in_sandbox(
    source: str, sets: list[str], vars_: list[str], seed: int, runs: int
) -> Record | None:
    """The experiment loaded with ``sets`` and run in a fresh in-process moto of this process
    (None: it could not run). A child process calls it, so that no moto the caller's process
    may host (a server on loopback shares its state) is touched."""
    try:
        loaded = load(source, sets, vars_)
        with in_process_session(loaded.experiment.topology.region) as session:
            record = journal.build(run(loaded, seed=seed, aws=session, runs=runs))
    except ChaosError:
        return None
    record.timeline = []  # a re-run is judged by its verdict and figures, not its seconds
    return record


class Reruns:
    """Re-runs of one experiment with overrides, each in a fresh in-process moto of a child
    process; the same overrides are run once."""

    def __init__(self, loaded: Loaded, seed: int, runs: int, phase: Phase) -> None:
        self.loaded, self.seed, self.runs, self.phase = loaded, seed, runs, phase
        self.done: dict[tuple[tuple[str, Any], ...], Record | None] = {}
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Reruns:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    @property
    def instances(self) -> int:
        """The experiment's own instances per zone (with per-zone counts, the fewest)."""
        return instances_now(self.loaded.experiment)

    def at_least(self, n: int) -> dict[str, Override]:
        """The overrides that give every zone at least ``n`` instances."""
        return instance_sets(self.loaded.experiment, n)

    @property
    def count(self) -> int:
        """How many re-runs were made."""
        return len(self.done)

    def __call__(self, sets: Mapping[str, Override]) -> Record | None:
        """The record of the experiment re-run with ``sets`` (None: it could not run)."""
        today = self.at_least(self.instances)
        sets = {k: v for k, v in sets.items() if k not in today or today[k] != v}
        key = _key(sets)
        if key not in self.done:
            args = _args(sets)
            self.phase(f"proving a fix in the model, re-run {self.count + 1}: {' '.join(args)}")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
            self.done[key] = self._pool.submit(
                rerun_in_sandbox,
                self.loaded.source,
                [*self.loaded.sets, *args],
                list(self.loaded.vars),
                self.seed,
                self.runs,
            ).result()
        return self.done[key]


def judge(then: Record, now: Record, probes: list[str]) -> FixResult:
    """A re-run against the run it would fix: held, helps, no better, or worse."""
    failed_then = {p.key for p in then.hypothesis.failed()}
    failed_now = {p.key for p in now.hypothesis.failed()}
    errors_then = then.metrics.visible_errors if then.metrics else 0.0
    m = now.metrics
    errors = m.visible_errors if m else 0.0
    if not now.deviated:
        verdict = "held"
    elif len(failed_now) > len(failed_then) or (
        failed_now >= failed_then and errors > errors_then * WORSE
    ):
        verdict = "worse"
    elif (
        (set(probes) & failed_then) - failed_now
        or len(failed_now) < len(failed_then)
        or errors < errors_then / WORSE
    ):
        verdict = "helps"
    else:
        verdict = "no_better"
    return FixResult(
        verdict=verdict,  # type: ignore[arg-type]
        held=not now.deviated,
        visible_errors=errors,
        worst_second_success_ratio=m.worst_second_success_ratio if m else 0.0,
        p99_latency_ms=m.p99_latency_ms if m else None,
        failed_probes=sorted(failed_now),
        stopped=now.stopped is not None,
        runs=now.runs.count if now.runs else 1,
        runs_held=now.runs.held if now.runs else int(not now.deviated),
    )


def _unrunnable() -> FixResult:
    return FixResult(
        verdict="no_better",
        held=False,
        visible_errors=0,
        worst_second_success_ratio=0,
        p99_latency_ms=None,
        failed_probes=[],
    )


def _bisect(
    rerun: Reruns, base: dict[str, Override], lo: int, hi: int, ok: Callable[[Record], bool]
) -> int:
    """The smallest count in (lo, hi] for which ``ok`` holds, given it fails at lo and holds
    at hi."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        rec = rerun(base | rerun.at_least(mid))
        if rec is not None and ok(rec):
            hi = mid
        else:
            lo = mid
    return hi


def search_capacity(
    rerun: Reruns,
    then: Record,
    fix: Fix,
    base: dict[str, Override] | None = None,
    probes: list[str] | None = None,
) -> None:
    """Find the fewest instances per zone whose re-run holds (with ``base`` applied too);
    when none within the search's reach does, the fewest with no second past 100% busy, which
    helps but is not enough. Fills the fix's set, words, trials and result."""
    base = dict(base or {})
    now = rerun.instances

    def at(n: int) -> Record | None:
        return rerun(base | rerun.at_least(n))

    def held(r: Record | None) -> bool:
        return r is not None and not r.deviated

    def calm(r: Record | None) -> bool:
        return r is not None and not overloaded(r)

    lo, hi = now, instances_in(fix.set, now)
    found = now if base and held(at(now)) else None
    for _ in range(RISES if found is None else 0):
        rec = at(hi)
        if held(rec):
            found = _bisect(rerun, base, lo, hi, held)
            break
        if calm(rec) or rec is None or hi >= MAX_INSTANCES:
            break  # the re-run fails for another reason: more instances would not help
        lo, hi = hi, min(MAX_INSTANCES, now + 3 * (hi - now))
    enough = found is not None
    if found is None:
        tried = _tried(rerun, base)
        quiet = [n for n, r in tried if calm(r)]
        if quiet:
            below = [n for n, _ in tried if n < quiet[0]]
            found = _bisect(rerun, base, max(below, default=now), quiet[0], calm)
    fix.searched = next(iter(rerun.at_least(now)))
    if found is None:
        fix.set = rerun.at_least(hi)
        rec = at(hi)
        fix.result = judge(then, rec, probes or []) if rec is not None else _unrunnable()
        fix.result.verdict = "no_better"
        today = counts_now(rerun.loaded.experiment)
        fix.words = f"Up to {hi} instances per zone (now {today}) every re-run still overloaded."
    else:
        fix.set = rerun.at_least(found)
        rec = at(found)
        fix.result = judge(then, rec, probes or []) if rec is not None else _unrunnable()
        today = counts_now(rerun.loaded.experiment)
        fewer = f"{found - 1} did not" if found - 1 > now else f"today's {today} did not"
        fix.words = (
            f"Keep {today} instances per zone: with the other changes today's count holds."
            if found == now
            else f"Run {found} instances per zone (now {today}): the fewest whose re-run held, "
            f"found by search ({fewer})."
            if enough
            else f"Run {found} instances per zone (now {today}): the fewest that keep every "
            "instance below 100% busy, found by search; not enough to hold."
        )
    fix.trials = [
        Trial(value=n, held=held(r), overloaded=not calm(r)) for n, r in _tried(rerun, base)
    ]


def _tried(rerun: Reruns, base: dict[str, Override]) -> list[tuple[int, Record | None]]:
    """The instance counts re-run on top of ``base``, smallest first, with their records."""
    out = []
    for key, rec in rerun.done.items():
        sets = _sets(key)
        n = instances_in(sets, rerun.instances)
        sets.pop(INSTANCES, None)
        sets.pop(BY_ZONE, None)
        if sets == base and (n != rerun.instances or base):
            out.append((int(n), rec))
    return sorted(out, key=lambda t: t[0])


def _verify(rerun: Reruns, then: Record, finding: Finding) -> None:
    """Re-run one finding's fix and keep the result beside it."""
    fix = finding.fix
    if fix is None or not fix.set:
        return
    if fix.searched in (INSTANCES, BY_ZONE):
        search_capacity(rerun, then, fix, probes=finding.probes)
        return
    rec = rerun(fix.set)
    fix.result = judge(then, rec, finding.probes) if rec is not None else _unrunnable()


def _more(rec: Record, sets: dict[str, Override]) -> list[Fix]:
    """The fixes a re-run's own findings propose that change something ``sets`` leaves."""
    return [
        f.fix
        for f in rec.findings
        if f.fix is not None
        and f.fix.set
        and f.fix.searched is None
        and any(k not in sets for k in f.fix.set)
    ]


def _sentences(words: list[str]) -> str:
    """Several fixes' words as one text, each sentence once."""
    parts = [p.strip() for w in words for p in w.replace(". ", ".\n").splitlines()]
    return " ".join(dict.fromkeys(p for p in parts if p))


def _together(rerun: Reruns, then: Record, fixes: list[Fix]) -> Fix | None:
    """Every fix that helped, applied at once; while that still deviates, what its own
    re-run's findings propose is added (at most ``ROUNDS`` times), and capacity is searched
    on top when a capacity fix helped or the re-run still overloaded. None when that is no
    more than one of the fixes already re-run."""
    useful = [f for f in fixes if f.result is not None and f.result.verdict == "helps"]
    sets: dict[str, Override] = {}
    words: list[str] = []
    for f in useful:
        if f.searched is None:
            sets |= f.set
            words.append(f.words)
    capacity = next((f for f in useful if f.searched in (INSTANCES, BY_ZONE)), None)
    rec = rerun(sets) if sets else None
    for _ in range(ROUNDS):
        if rec is None or not rec.deviated:
            break
        more = _more(rec, sets)
        if not more:
            break
        for f in more:
            sets |= {k: v for k, v in f.set.items() if k not in sets}
            words.append(f.words)
        rec = rerun(sets)
    more_capacity = capacity is not None or (rec is not None and rec.deviated and overloaded(rec))
    if not useful or (not more_capacity and any(_key(f.set) == _key(sets) for f in useful)):
        return None
    combined = Fix(words=_sentences(words), set=dict(sets))
    if not more_capacity:
        combined.result = judge(then, rec, []) if rec is not None else _unrunnable()
        return combined
    now = rerun.instances
    combined.set = rerun.at_least(instances_in(capacity.set, now) if capacity else now + 1)
    search_capacity(rerun, then, combined, base=sets)
    n = instances_in(combined.set, now)
    combined.words = _sentences([*words, combined.words])
    combined.set = sets | ({} if n == now else rerun.at_least(n))
    return combined


def prove(
    record: Record, loaded: Loaded, seed: int, runs: int, phase: Phase, verify: bool = True
) -> Record:
    """The record with each finding's fix re-run in the model (when the run deviated and
    ``verify``), and whether that happened."""
    # the timeline is never changed here: shared with the copy rather than copied
    out = record.model_copy(update={"timeline": []}).model_copy(deep=True)
    out.timeline = record.timeline
    with_fix = [f for f in out.findings if f.fix is not None and f.fix.set]
    if not out.deviated or not with_fix:
        out.fixes = FixCheck(status="not_needed")
        return out
    if not verify:
        out.fixes = FixCheck(status="skipped")
        return out
    with Reruns(loaded, seed, runs, phase) as rerun:
        for finding in with_fix:
            _verify(rerun, out, finding)
        fixes = [f.fix for f in with_fix if f.fix is not None]
        held = any(f.result is not None and f.result.held for f in fixes)
        combined = None if held else _together(rerun, out, fixes)
    out.fixes = FixCheck(status="verified", reruns=rerun.count, combined=combined)
    return out
