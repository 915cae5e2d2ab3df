"""What the run cost customers, in their terms: requests that failed or waited past their
patience, orders not taken, lost or left waiting, and the worst minute. Every format that
leads with impact (the HTML report's first page, Markdown) says it in these words."""

from __future__ import annotations

from dataclasses import dataclass

from chaoscli.record.model import Record, Second
from chaoscli.report.words import percent

MINUTE_S = 60


@dataclass(frozen=True)
class Figure:
    """One impact figure: what it counts, the number, and a few words on it."""

    what: str
    value: str
    detail: str


@dataclass(frozen=True)
class Minute:
    """The minute of the run with the most visible errors."""

    start_s: int
    requests: float
    visible_errors: float

    @property
    def failed_share(self) -> float:
        """The share of that minute's requests that failed."""
        return self.visible_errors / self.requests if self.requests else 0.0


def clock(t: float) -> str:
    """Virtual seconds as m:ss (h:mm:ss past an hour), how a reader finds a minute."""
    s = int(t)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def worst_minute(timeline: list[Second]) -> Minute | None:
    """The whole minute (from 0 s, 60 s, ...) with the most visible errors; the first of
    equals; None when no request failed."""
    sums: dict[int, list[float]] = {}
    for s in timeline:  # an entry of many seconds holds their means, within one minute
        part = sums.setdefault(s.t // MINUTE_S, [0.0, 0.0])
        part[0] += s.requests * s.span_s
        part[1] += s.visible_errors * s.span_s
    worst = max(sums.items(), key=lambda kv: (kv[1][1], -kv[0]), default=None)
    if worst is None or worst[1][1] <= 0:
        return None
    n, (requests, errors) = worst
    return Minute(n * MINUTE_S, requests, errors)


def figures(r: Record) -> list[Figure]:
    """The impact figures, most direct first; empty when no traffic was simulated."""
    m = r.metrics
    if m is None:
        return []
    patience = f"{r.experiment.hypothesis.patience_s:g} s"
    failed_share = m.visible_errors / m.requests if m.requests else 0.0
    out = [
        Figure(
            "failed requests",
            f"{m.visible_errors:,.0f}",
            f"of {m.requests:,.0f} ({failed_share:.2%}) failed after retries",
        ),
        Figure(
            f"waited past {patience}",
            f"{m.slow_requests:,.0f}",
            f"succeeded later than the customer's {patience} patience",
        ),
    ]
    if m.orders:
        not_taken = m.orders - m.orders_acked
        detail = f"of {m.orders:,.0f} checkouts ({percent(m.order_success_ratio)} taken)"
        if m.lost_orders:
            detail += f"; {m.lost_orders:,.0f} acknowledged then lost"
        out.append(Figure("orders not taken", f"{not_taken:,.0f}", detail))
        if m.order_queue.enabled and m.order_queue.max_depth:
            q = m.order_queue
            out.append(
                Figure(
                    "orders delayed",
                    f"{q.max_depth:,.0f}",
                    f"waiting at once in the order queue at the peak; longest wait "
                    f"{q.longest_commit_delay_s:,.0f} s",
                )
            )
    minute = worst_minute(r.timeline)
    if minute is None:
        out.append(Figure("worst minute", "none", "no request failed in any minute"))
    else:
        end = minute.start_s + MINUTE_S
        out.append(
            Figure(
                "worst minute",
                f"{minute.failed_share:.1%} failed",
                f"{clock(minute.start_s)}–{clock(end)}: {minute.visible_errors:,.0f} of "
                f"{minute.requests:,.0f} requests",
            )
        )
    return out
