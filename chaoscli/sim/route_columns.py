"""The named columns of the world's route array, so that no one indexes it by arithmetic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RouteColumns:
    """The named columns of ``World.route``: where a node sends a request.

    For each target zone, the share that reaches its up targets, then for each zone the share
    that reaches its slow (gray) ones, then the share that meets a refusing, a blackholed or
    a hung target, or no target at all.
    """

    zones: int

    @property
    def up(self) -> slice:
        """Up targets, one column per zone."""
        return slice(0, self.zones)

    @property
    def slow(self) -> slice:
        """Slow targets (they answer, late and with some errors), one column per zone."""
        return slice(self.zones, 2 * self.zones)

    @property
    def answering(self) -> slice:
        """Every column where a target takes the request: up, then slow."""
        return slice(0, 2 * self.zones)

    @property
    def refused(self) -> int:
        """A stopped, crashed, booting or terminated target: the connection is refused."""
        return 2 * self.zones

    @property
    def blackhole(self) -> int:
        """A target nothing reaches: the load balancer's connect timeout."""
        return 2 * self.zones + 1

    @property
    def hung(self) -> int:
        """A target that takes the connection and never answers."""
        return 2 * self.zones + 2

    @property
    def no_target(self) -> int:
        """The node has no registered target to send to (503)."""
        return 2 * self.zones + 3

    @property
    def dead(self) -> slice:
        """Refused, blackholed and hung: a target is there and fails the request."""
        return slice(self.refused, self.hung + 1)

    @property
    def width(self) -> int:
        """How many columns there are."""
        return 2 * self.zones + 4
