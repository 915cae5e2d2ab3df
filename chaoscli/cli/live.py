"""``--pace X``: watch an outage unfold at X times wall speed, traffic per zone and events.

The simulation never sleeps and never reads a clock; this view, fed by the engine's
per-second callback, is the only place that waits, so Ctrl-C lands here and the runner's
rollback still runs on the way out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from chaoscli import stop
from chaoscli.experiment.spec import Experiment
from chaoscli.sim.results import SecondStats

_EVENTS_SHOWN = 8
_FAILING = 0.01  # share of attempts failing that counts as "failing"
_QUIET_S = 5  # seconds below a tenth of that before "succeed again"


class LiveView:
    """A rich Live panel: per-zone traffic, the database, and events as they happen."""

    def __init__(
        self,
        console: Console,
        exp: Experiment,
        pace: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = stop.sleep,
    ) -> None:
        self.console = console
        self.pace = pace
        self.duration = exp.traffic.duration_s
        self.clock, self.sleep = clock, sleep
        self.status = "starting"
        self.stats: SecondStats | None = None
        self.events: list[tuple[float, str]] = []
        self._scheduled = _schedule(exp)
        self._origin: float | None = None
        self._zone_down: dict[str, bool] = {}
        self._db_writable = True
        self._failing = False
        self._quiet = 0
        self._live = Live(self._render(), console=console, refresh_per_second=8)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.update(self._render())
        self._live.__exit__(exc_type, exc, tb)
        if not self.console.is_terminal:
            self.console.line()  # the last frame ends without a newline in a file

    def phase(self, text: str) -> None:
        """The runner's phase callback: show what the control plane is doing."""
        self.status = text
        self._live.update(self._render())

    def on_second(self, stats: SecondStats) -> None:
        """The engine's per-second callback: note events, redraw, then wait to keep pace."""
        self.status = "simulating customer traffic"
        self.stats = stats
        self._observe(stats)
        self._live.update(self._render())
        if self._origin is None:
            self._origin = self.clock() - (stats.t + 1) / self.pace
        delay = self._origin + (stats.t + 1) / self.pace - self.clock()
        if delay > 0:
            self.sleep(delay)

    def _event(self, t: float, text: str) -> None:
        self.events.append((t, text))

    def _observe(self, s: SecondStats) -> None:
        """Turn changes between seconds into timeline lines."""
        while self._scheduled and self._scheduled[0][0] <= s.t:
            t, text = self._scheduled.pop(0)
            self._event(t, text)
        for az, served in sorted(s.served.items()):
            down = served <= 0.0 and s.offered > 0
            if down != self._zone_down.get(az, False):
                self._event(s.t, f"{az} serves nothing" if down else f"{az} serves again")
            self._zone_down[az] = down
        if s.db_writable != self._db_writable:
            self._event(s.t, "database writable again" if s.db_writable else "database writes fail")
            self._db_writable = s.db_writable
        share = _failing_share(s)
        # hysteresis: failing above 1 %, served again only after a few quiet seconds
        self._quiet = self._quiet + 1 if share < _FAILING / 10 else 0
        if not self._failing and share > _FAILING:
            self._event(s.t, f"{share:.1%} of attempts failing")
            self._failing = True
        elif self._failing and self._quiet >= _QUIET_S:
            self._event(s.t, "attempts succeed again")
            self._failing = False

    def _render(self) -> RenderableType:
        """The whole panel for the current second."""
        s = self.stats
        if s is None:
            return Text(f"chaoscli: {self.status}", style="bold")
        head = Text.assemble(
            (f"t = {s.t + 1:>5} s of {self.duration:g} s", "bold"),
            f"  (x{self.pace:g})   offered {s.offered:,.0f}/s   attempts {s.attempts:,.0f}/s   ",
            (f"failed {_not_served(s):,.0f}/s", "red" if self._failing else ""),
            "   database ",
            ("writable", "green") if s.db_writable else ("writes fail", "bold red"),
        )
        table = Table(box=None, padding=(0, 2), show_edge=False)
        for column in ("zone", "served/s", "failed/s", "busy", ""):
            numeric = column in ("served/s", "failed/s", "busy")
            table.add_column(column, justify="right" if numeric else "left")
        peak = max([*s.served.values(), 1.0])
        for az, served in sorted(s.served.items()):
            busy = s.utilisation.get(az, 0.0)
            bar = "█" * round(20 * served / peak)
            style = "bold red" if self._zone_down.get(az) else ("yellow" if busy > 0.85 else "")
            failed = s.failed.get(az, 0.0)
            table.add_row(
                az,
                f"{served:,.0f}",
                Text(f"{failed:,.0f}", style="red" if failed > 0 else ""),
                f"{busy:.0%}",
                Text(bar or "-", style=style),
            )
        lines = [
            Text(f"{t:7.1f} s  {text}", style="dim" if n else "")
            for n, (t, text) in enumerate(reversed(self.events[-_EVENTS_SHOWN:]))
        ]
        footer = Text(f"{self.status}  (Ctrl-C stops the run and rolls back)", style="dim")
        return Group(head, table, Text("events", style="bold"), *lines, footer)


def _not_served(s: SecondStats) -> float:
    """Attempts that failed in the second (refused, timed out, shed, database down).

    Older stats without per-zone failures fall back to attempts less those served, which
    also counts attempts still in flight at the second's end.
    """
    if s.failed:
        return sum(s.failed.values())
    return max(0.0, s.attempts - sum(s.served.values()))


def _failing_share(s: SecondStats) -> float:
    """The share of the second's attempts that failed."""
    return _not_served(s) / s.attempts if s.attempts > 0 else 0.0


def _schedule(exp: Experiment) -> list[tuple[float, str]]:
    """When each fault of the method begins and ends, as timeline lines.

    A step without ``at_s`` starts when the previous one ends; a wait only moves that point.
    """
    items: list[tuple[float, str]] = []
    cursor = 0.0
    for step in exp.method:
        start = cursor if step.at_s is None else float(step.at_s)
        end = start + step.duration_s
        cursor = end
        if step.fault == "wait":
            continue
        where = f" in {step.az}" if step.az else ""
        items.append((start, f"{step.fault}{where} begins"))
        if end < exp.traffic.duration_s:
            items.append((end, f"{step.fault}{where} ends (rolled back)"))
    return sorted(items)
