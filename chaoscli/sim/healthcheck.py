"""What the load balancer believes: which targets are in rotation, learnt as ELB learns it.

A target stopped through the API leaves at once through the control plane; a crashed,
hung or cut-off one leaves only after ``unhealthy_threshold`` failed checks (a check into a
blackhole fails only at its timeout); a returning one needs ``healthy_threshold`` passes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chaoscli.topology import HealthCheck

# True target states
UP, REFUSED, BLACKHOLE, HUNG, GONE = 0, 1, 2, 3, 4
STATE_NAMES = {UP: "up", REFUSED: "refused", BLACKHOLE: "blackhole", HUNG: "hung", GONE: "gone"}

StateTimeline = Sequence[tuple[float, int, bool]]
"""(time, true state, removed through the control plane) change points, first at t=0."""


def _state_at(timeline: StateTimeline, t: float) -> tuple[int, bool]:
    state, removed = timeline[0][1], timeline[0][2]
    for ts, s, r in timeline:
        if ts > t:
            break
        state, removed = s, r
    return state, removed


def rotation_timeline(
    timeline: StateTimeline,
    hc: HealthCheck,
    phase_s: float,
    end_s: float,
    control_plane_delay_s: float,
) -> list[tuple[float, bool]]:
    """Change points (time, in rotation) of one target as the load balancer sees it."""
    in_rot = timeline[0][1] == UP and not timeline[0][2]
    out: list[tuple[float, bool]] = [(0.0, in_rot)]
    fails = passes = 0
    removed_until_check = False
    # control-plane removals happen at the change time (+ propagation delay)
    cp_events = []
    prev_removed = timeline[0][2]
    for t, _s, r in timeline[1:]:
        if r and not prev_removed:
            cp_events.append(t + control_plane_delay_s)
        prev_removed = r
    check_t = phase_s
    cp_i = 0
    while check_t < end_s or cp_i < len(cp_events):
        if cp_i < len(cp_events) and (cp_events[cp_i] <= check_t or check_t >= end_s):
            t_cp = cp_events[cp_i]
            cp_i += 1
            if t_cp < end_s and in_rot:
                in_rot = False
                out.append((t_cp, False))
            fails = passes = 0
            removed_until_check = True
            continue
        state, removed = _state_at(timeline, check_t)
        if removed or state == GONE:
            fails = passes = 0
            check_t += hc.interval_s
            continue
        if removed_until_check:
            # a re-registered target starts from "initial": it must pass healthy_threshold checks
            removed_until_check = False
            in_rot = False
        if state == UP:
            passes, fails = passes + 1, 0
            if not in_rot and passes >= hc.healthy_threshold:
                in_rot = True
                out.append((check_t, True))
        else:
            fails, passes = fails + 1, 0
            done = check_t if state == REFUSED else check_t + hc.timeout_s
            if in_rot and fails >= hc.unhealthy_threshold:
                in_rot = False
                out.append((min(done, end_s), False))
        check_t += hc.interval_s
    return out


def phases(n: int, interval_s: float, rng: np.random.Generator) -> np.ndarray:
    """Each target's health-check phase within the interval, drawn from the run's seed."""
    return rng.uniform(0.0, interval_s, size=n)
