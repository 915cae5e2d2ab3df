"""A worker's stack: provisioned and discovered once per distinct topology, in the worker's
own in-process moto, and driven through the method once per distinct fault draw.

Everything a run's figures depend on comes from the point and the seed: moto's ids are
seeded from the topology and from each draw, and every change a draw makes is undone before
the next, so a stack that served other points first gives the same control plane.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

from chaoscli.aws.changes.log import RollbackLog, rollback
from chaoscli.aws.cloudwatch import Alarm
from chaoscli.aws.determinism import seed_moto
from chaoscli.aws.discover import discover
from chaoscli.aws.network import pick_azs
from chaoscli.aws.provision import provision
from chaoscli.aws.session import in_process_session
from chaoscli.experiment import alarms as alarm_setup
from chaoscli.experiment.build import plan_for
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.many import seeded_targets
from chaoscli.experiment.method import ControlPlane, drive, undo_step
from chaoscli.experiment.runner import preflight
from chaoscli.sweep.plan import topology_key
from chaoscli.sweep.seeds import key_words
from chaoscli.topology import Topology

_ALARMS = "sweep-alarms"  # the rollback-log scope of a point's declared alarms


def _word(text: str) -> int:
    """A 32-bit seed for moto's ids, from ``text``."""
    return key_words(text)[0]


class Stack:
    """One provisioned stack and the control planes already driven on it."""

    def __init__(self, loaded: Loaded) -> None:
        exp = loaded.experiment
        self.key = topology_key(loaded)
        self._exit = ExitStack()
        self._folder = Path(tempfile.mkdtemp(prefix="chaoscli-sweep-"))
        self._exit.callback(shutil.rmtree, self._folder, True)
        try:
            self.session = self._exit.enter_context(in_process_session(exp.topology.region))
            self.zones = pick_azs(self.session, exp.topology.azs)
            seed_moto(self.session, _word(self.key))
            self.log = RollbackLog(self._folder / "rollback.jsonl")
            provision(self.session, plan_for(exp))
            self.before: Topology = discover(self.session, exp.topology.stack)
        except BaseException:
            self._exit.close()
            raise
        self._planes: dict[str, ControlPlane] = {}

    def close(self) -> None:
        """End this stack's moto and remove its files."""
        self._exit.close()

    def check(self, loaded: Loaded) -> None:
        """What ``run`` checks at the endpoint before it changes anything."""
        preflight(self.session, loaded, self.zones)

    def alarms(self, loaded: Loaded) -> dict[str, Alarm]:
        """The alarms the point's stop conditions watch, created for it (``forget_alarms``
        removes them)."""
        with self.log.scope(_ALARMS):
            found, _ = alarm_setup.prepare(
                self.session, self.log, loaded, self.before.load_balancer
            )
        return found

    def forget_alarms(self) -> None:
        """Delete the alarms a point created."""
        rollback(self.session, self.log, step=_ALARMS)

    def plane(self, loaded: Loaded, seed: int, cut_at: float | None) -> ControlPlane:
        """The control plane of the point's method for ``seed`` (cut at ``cut_at``), driven
        once per distinct draw and left undone."""
        exp = loaded.experiment
        draw = json.dumps(
            {
                "method": loaded.document.get("method"),
                "duration_s": exp.traffic.duration_s,
                "seed": seed if seeded_targets(exp) else None,
                "cut_at": cut_at,
            },
            sort_keys=True,
        )
        found = self._planes.get(draw)
        if found is not None:
            return found
        seed_moto(self.session, _word(draw))
        try:
            cp = drive(self.session, self.log, exp, self.before, seed, cut_at=cut_at)
        finally:
            for n in range(len(exp.method)):
                undo_step(self.session, self.log, n)
        self._planes[draw] = cp
        return cp
