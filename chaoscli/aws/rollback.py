"""The undo side of every fault: a durable log of exact undos, and the rollback that replays it.

Each change is written to the log (flushed and fsynced) before it is made, so a run killed with
``kill -9`` can still be rolled back from the file alone by ``chaoscli rollback LOG``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaoscli.aws.network import replace_nacl
from chaoscli.aws.session import AwsSession, aws_errors, instance_states, short_ids
from chaoscli.aws.tags import FAULT_ID_TAG
from chaoscli.errors import AwsError, ChaosError, SpecError

START_INSTANCES = "start_instances"
RESTORE_NACLS = "restore_nacls"
FAIL_BACK_DB = "fail_back_db"


@dataclass(frozen=True)
class LogEntry:
    """One recorded change: its id, what kind of undo it needs, its arguments and its step.

    ``step`` names the method step that made the change, so that the end of one step undoes
    its own changes and leaves those of overlapping steps in place.
    """

    id: int
    kind: str
    undo: dict[str, Any] = field(default_factory=dict)
    step: str | None = None


class RollbackError(AwsError):
    """Some undos failed; ``undone`` and ``failed`` say which, one line each."""

    def __init__(self, undone: list[str], failed: list[str]) -> None:
        self.undone = undone
        self.failed = failed
        super().__init__(f"could not undo {len(failed)} change(s): " + "; ".join(failed))


class RollbackLog:
    """A JSON-lines file of changes and of the undos already done; safe against kill -9."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped_lines = 0
        self.step: str | None = None

    @contextmanager
    def scope(self, step: str) -> Iterator[None]:
        """Record every change made inside the block as belonging to ``step``."""
        previous, self.step = self.step, step
        try:
            yield
        finally:
            self.step = previous

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RollbackLog:
        """An existing log, for rolling back what an earlier (perhaps killed) run left behind."""
        log = cls(path)
        if not log.path.is_file():
            raise SpecError(str(path), "", "no such rollback log")
        log.pending()  # fail now, not halfway through a rollback, if the file is unreadable
        return log

    def record(self, kind: str, undo: dict[str, Any]) -> int:
        """Append a change's undo and make it durable before returning the entry's id."""
        entries, _ = self._read()
        entry_id = max((e.id for e in entries), default=0) + 1
        line: dict[str, Any] = {"op": "change", "id": entry_id, "kind": kind, "undo": undo}
        if self.step is not None:
            line["step"] = self.step
        self._append(line)
        return entry_id

    def mark_undone(self, entry_id: int) -> None:
        """Record that the entry's undo has been carried out."""
        self._append({"op": "undone", "id": entry_id})

    def pending(self, step: str | None = None) -> list[LogEntry]:
        """Entries not yet undone (only ``step``'s when given), newest first."""
        entries, undone = self._read()
        return sorted(
            (e for e in entries if e.id not in undone and (step is None or e.step == step)),
            key=lambda e: -e.id,
        )

    def note(self, **fields: Any) -> None:
        """Record facts about the run (stack, endpoint, topology before) for a later rollback."""
        self._append({"op": "note", "fields": fields})

    def notes(self) -> dict[str, Any]:
        """Every noted fact, later notes overriding earlier ones; lines a crash cut are skipped."""
        merged: dict[str, Any] = {}
        try:
            text = (
                self.path.read_text(encoding="utf-8", errors="replace")
                if self.path.exists()
                else ""
            )
        except OSError as exc:
            raise SpecError(
                str(self.path), "", f"cannot read rollback log: {exc.strerror}"
            ) from exc
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("op") == "note":
                fields = item.get("fields")
                if isinstance(fields, dict):
                    merged.update(fields)
        return merged

    def _append(self, line: dict[str, Any]) -> None:
        """Write one line and fsync it (and the directory, the first time)."""
        line["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(line, sort_keys=True) + "\n"
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+", encoding="utf-8") as f:
                # A line cut short by kill -9 must not swallow the next one.
                if f.tell() > 0:
                    f.seek(f.tell() - 1)
                    if f.read(1) != "\n":
                        text = "\n" + text
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            if created:
                fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise AwsError(f"cannot write rollback log {self.path}: {exc.strerror}") from exc

    def _read(self) -> tuple[list[LogEntry], set[int]]:
        """All change entries and the ids already undone, skipping lines a crash cut short."""
        if not self.path.exists():
            return [], set()
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise SpecError(
                str(self.path), "", f"cannot read rollback log: {exc.strerror}"
            ) from exc
        entries: list[LogEntry] = []
        undone: set[int] = set()
        skipped = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if item["op"] == "change":
                    step = item.get("step")
                    entries.append(
                        LogEntry(
                            int(item["id"]),
                            str(item["kind"]),
                            dict(item["undo"]),
                            None if step is None else str(step),
                        )
                    )
                elif item["op"] == "undone":
                    undone.add(int(item["id"]))
            except (ValueError, KeyError, TypeError):
                # Only a write interrupted by a crash leaves such a line. A change is logged
                # before it is made, so a cut "change" was never made; a cut "undone" only
                # means its (idempotent) undo runs again.
                skipped += 1
        self.skipped_lines = skipped
        return entries, undone


def rollback(session: AwsSession, log: RollbackLog, step: str | None = None) -> list[str]:
    """Undo every pending change (only ``step``'s when given), newest first; idempotent."""
    done: list[str] = []
    failed: list[str] = []
    table = undo_table()
    for entry in log.pending(step):
        undo = table.get(entry.kind)
        try:
            if undo is None:
                raise AwsError(f"unknown kind of change {entry.kind!r}")
            line = undo(session, entry.undo)
        except Exception as exc:  # one failed undo must not stop the others
            text = str(exc) if isinstance(exc, ChaosError) else f"{type(exc).__name__}: {exc}"
            failed.append(f"#{entry.id} {entry.kind}: {text}")
            continue
        log.mark_undone(entry.id)
        done.append(line)
    if failed:
        raise RollbackError(done, failed)
    return done


def _start_instances(session: AwsSession, undo: dict[str, Any]) -> str:
    """Start the instances a fault stopped (those that are still stopped)."""
    ids = list(undo["instance_ids"])
    if not ids:
        return "no instances had been stopped"
    ec2 = session.client("ec2")
    with aws_errors(f"start instances {short_ids(ids)}"):
        state = instance_states(ec2, ids)
        stopping = [i for i in ids if state.get(i) == "stopping"]
        if stopping:
            ec2.get_waiter("instance_stopped").wait(InstanceIds=stopping)
        to_start = [i for i in ids if state.get(i) in ("stopping", "stopped")]
        if to_start:
            ec2.start_instances(InstanceIds=to_start)
    gone = [i for i in ids if state.get(i) not in ("stopping", "stopped", "pending", "running")]
    if gone:
        states = ", ".join(f"{i} is {state.get(i, 'missing')}" for i in gone)
        raise AwsError(f"cannot start what is no longer stopped: {states}")
    if not to_start:
        return f"instances already running: {short_ids(ids)}"
    return f"started {len(to_start)} instance(s) again: {short_ids(to_start)}"


def _restore_nacls(session: AwsSession, undo: dict[str, Any]) -> str:
    """Put each subnet back on its original NACL, then delete the fault's deny-all NACL."""
    originals: dict[str, str] = dict(undo["subnets"])
    ec2 = session.client("ec2")
    with aws_errors(f"restore the network ACLs of {short_ids(list(originals))}"):
        replace_nacl(ec2, originals)
        faults = ec2.describe_network_acls(
            Filters=[{"Name": f"tag:{FAULT_ID_TAG}", "Values": [undo["fault_id"]]}]
        )["NetworkAcls"]
        for acl in faults:
            ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    deleted = ", ".join(a["NetworkAclId"] for a in faults) or "already gone"
    return f"restored the NACLs of {len(originals)} subnet(s); fault NACL {deleted}"


def _fail_back_db(session: AwsSession, undo: dict[str, Any]) -> str:
    """Fail the database back to its recorded zone if a failover moved the primary."""
    db_id, az = str(undo["db_id"]), str(undo["az"])
    rds = session.client("rds")
    with aws_errors(f"fail {db_id} back to {az}"):
        db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
        if db.get("AvailabilityZone") == az:
            return f"{db_id}: primary reported in {az}, where it began; no failback needed"
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=db_id)
        rds.reboot_db_instance(DBInstanceIdentifier=db_id, ForceFailover=True)
    return f"failed {db_id} back from {db.get('AvailabilityZone')} to {az}"


Undo = Callable[[AwsSession, dict[str, Any]], str]

_UNDO: dict[str, Undo] = {
    START_INSTANCES: _start_instances,
    RESTORE_NACLS: _restore_nacls,
    FAIL_BACK_DB: _fail_back_db,
}


def undo_table() -> dict[str, Undo]:
    """Every kind of undo, including those of the fault modules that import this one."""
    from chaoscli.aws.autoscaling import UNDO as ASG_UNDO
    from chaoscli.aws.cloudwatch import UNDO as CW_UNDO
    from chaoscli.aws.instance_tags import UNDO as TAG_UNDO
    from chaoscli.aws.replicas import UNDO as REPLICA_UNDO

    return {**_UNDO, **ASG_UNDO, **CW_UNDO, **TAG_UNDO, **REPLICA_UNDO}
