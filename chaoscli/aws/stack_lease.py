"""A command's lease on a stack, kept as a tag on the stack's VPC so it holds across machines.

Each holder writes its own tag, ``chaoscli:lease:<run id>`` = ``owner=... command=...
expires=...``, then reads the VPC's tags back: a holder that finds any other lease there gives
way. Two commands that race therefore never both hold the stack (at worst both give way). Time
is the control plane's: the ``Date`` header of its replies, so clocks of different machines do
not matter. A stack that does not exist yet is claimed by putting the lease on the VPC in the
same CreateVpc call; a second VPC with the same stack tag means another command got there too,
and the later one deletes its own VPC and gives way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.lease_tag import KEPT, LEASE_TAG, Lease, iso, leases_of, owner, server_time
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import stack_filter, tag_dict
from chaoscli.errors import AwsError, GuardError, SpecError

DURATION_ENV = "CHAOSCLI_LEASE_S"
DEFAULT_DURATION_S = 600.0
_A = TypeVar("_A")


def lease_duration() -> float:
    """Seconds a lease lasts without renewal: ``$CHAOSCLI_LEASE_S``, else ten minutes."""
    text = os.environ.get(DURATION_ENV, "").strip()
    if not text:
        return DEFAULT_DURATION_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 1 <= seconds <= 86_400:
        raise SpecError(DURATION_ENV, "", f"{text!r} is not a number of seconds from 1 to 86400")
    return seconds


class LeaseHeld(GuardError):
    """Another command holds the stack (or did and was not cleaned up); nothing was changed."""


@dataclass(frozen=True)
class LeaseRequest:
    """What a command asks of the lease: its name, and whether it may break a dead holder's."""

    command: str
    break_expired: bool = False
    takeover: str | None = None  # a run whose lease this command inherits (rollback of its log)
    break_kept: bool = False  # may act on a stack whose changes a run left in place


class StackLease:
    """This command's lease on one stack: taken before any change, renewed, then released."""

    def __init__(
        self,
        session: AwsSession,
        stack: str,
        request: LeaseRequest,
        *,
        duration_s: float | None = None,
    ) -> None:
        self.session = session
        self.stack = stack
        self.request = request
        self.duration_s = lease_duration() if duration_s is None else duration_s
        self.run_id = secrets.token_hex(4)
        self.owner = owner()
        self.vpc_id: str | None = None
        self.found: bool | None = None  # whether ``take`` found the stack (None: not asked)
        self.held = False
        self._log: RollbackLog | None = None
        self._renewed_at = 0.0  # time.monotonic() of the last write
        self._busy = False
        self._clock = (datetime.now(UTC), time.monotonic())  # the control plane's, last seen

    def now(self) -> datetime:
        """The control plane's time now, from the last reply read and the time since."""
        seen, at = self._clock
        return seen + timedelta(seconds=time.monotonic() - at)

    def _saw(self, reply: dict[str, Any]) -> datetime:
        """Set the clock from a reply's ``Date``; the time it says."""
        self._clock = (server_time(reply), time.monotonic())
        return self._clock[0]

    # -- taking -------------------------------------------------------------------------

    def take(self) -> bool:
        """Hold the stack if it exists (True); False if it does not, so the caller creates it
        with ``vpc_tags`` and calls ``claim``. Raises ``LeaseHeld`` if another holds it."""
        ec2 = self.session.client("ec2")
        with aws_errors(f"look for stack {self.stack}"):
            found = ec2.describe_vpcs(Filters=[stack_filter(self.stack)])
        now = self._saw(found)
        self.found = bool(found["Vpcs"])
        if not found["Vpcs"]:
            return False
        vpc = min(found["Vpcs"], key=lambda v: v["VpcId"])
        self.vpc_id = vpc["VpcId"]
        with aws_errors(f"take the lease on stack {self.stack}"):
            self._clear_way(tag_dict(vpc.get("Tags")), now)
            self._write(now)
            reply = ec2.describe_vpcs(VpcIds=[self.vpc_id])
        tags = tag_dict(reply["Vpcs"][0].get("Tags"))
        others = [x for x in leases_of(tags) if x.run != self.run_id]
        if others:  # another command wrote its lease between our read and our write
            self._delete_own()
            raise LeaseHeld(self._refusal(others[0], self._saw(reply), racing=True))
        self._held()
        return True

    def _clear_way(self, tags: dict[str, str], now: datetime) -> None:
        """Break the leases this command may break; refuse on any other."""
        ec2 = self.session.client("ec2")
        for other in leases_of(tags):
            inherits = other.run == self.request.takeover
            if other.kept:
                breaks = self.request.break_kept
            else:
                breaks = other.expired(now) and self.request.break_expired
            if inherits or breaks:
                ec2.delete_tags(Resources=[self.vpc_id], Tags=[{"Key": other.key}])
                continue
            raise LeaseHeld(self._refusal(other, now))

    def _refusal(self, other: Lease, now: datetime, racing: bool = False) -> str:
        """One line: who holds the stack, until when, and what to do."""
        head = f"stack {self.stack} is {other.words()}"
        if other.kept:
            return (
                f"stack {self.stack} still has the changes run {other.run} ({other.owner}) left "
                f"in place at {iso(other.expires)} (--rollback-strategy): undo them with "
                "`chaoscli rollback LOG` and that run's rollback log, or pass --break-lease to "
                "act on the stack as it is (nothing was changed)"
            )
        if racing:
            return f"{head}: it took the lease at the same moment; try again once it is done"
        if other.expired(now):
            return (
                f"{head}, which has passed: that command was probably killed. "
                f"`chaoscli rollback LOG` with its rollback log takes the lease over and "
                f"restores the stack; or pass --break-lease to break it (nothing was changed)"
            )
        return (
            f"{head}; wait for it to finish, or if it was killed, pass --break-lease "
            f"once that time has passed (nothing was changed)"
        )

    @property
    def vpc_tags(self) -> dict[str, str]:
        """The lease tag to create a new stack's VPC with, so the lease exists from its first
        instant."""
        lease = self._lease(self.now())
        return {lease.key: lease.value}

    def claim(self, vpc_id: str) -> None:
        """After creating the stack's VPC: hold the stack, unless another command created one
        too, in which case delete this VPC (nothing else exists yet) and refuse."""
        ec2 = self.session.client("ec2")
        with aws_errors(f"claim new stack {self.stack}"):
            found = ec2.describe_vpcs(Filters=[stack_filter(self.stack)])
            self._saw(found)
            others = [v for v in found["Vpcs"] if v["VpcId"] != vpc_id]
            if others:
                ec2.delete_vpc(VpcId=vpc_id)
        if others:
            held = [x for v in others for x in leases_of(tag_dict(v.get("Tags")))]
            holder = held[0].words() if held else "being created by another command"
            raise LeaseHeld(
                f"stack {self.stack} is {holder}: it created the stack at the same moment; "
                f"this command removed its own VPC {vpc_id} and changed nothing else"
            )
        self.vpc_id = vpc_id
        self._renewed_at = time.monotonic()
        self._held()

    def _held(self) -> None:
        """From now on the stack is ours: note it in the log, renew from every call."""
        self.held = True
        if self._log is not None:
            self._log.note(lease_run=self.run_id, lease_vpc=self.vpc_id)
        self.session.add_hook("before-call.*.*", self._before_call)

    def record_to(self, log: RollbackLog) -> None:
        """Note this lease (and the stack's VPC, once known) in a run's rollback log."""
        self._log = log
        log.note(lease_run=self.run_id)
        if self.vpc_id is not None and self.held:
            log.note(lease_vpc=self.vpc_id)

    # -- renewing and releasing ------------------------------------------------------------

    def _lease(self, now: datetime, kept: bool = False) -> Lease:
        if kept:  # a mark, not a lease: its time says since when
            return Lease(self.run_id, self.owner, KEPT, now)
        return Lease(
            self.run_id,
            self.owner,
            self.request.command,
            now + timedelta(seconds=self.duration_s),
        )

    def _write(self, now: datetime, kept: bool = False) -> None:
        lease = self._lease(now, kept)
        self._saw(
            self.session.client("ec2").create_tags(
                Resources=[self.vpc_id], Tags=[{"Key": lease.key, "Value": lease.value}]
            )
        )
        self._renewed_at = time.monotonic()

    def due(self) -> bool:
        """True once more than half the lease has passed since it was last written."""
        return self.held and time.monotonic() - self._renewed_at > self.duration_s / 2

    def renew_if_due(self) -> None:
        """Push the expiry forward when half of it is gone; a failed renewal is tried again
        at the next call."""
        if self._busy or not self.due():
            return
        self._busy = True
        try:
            with aws_errors(f"renew the lease on stack {self.stack}"):
                self._write(self.now())
        except AwsError:
            pass  # tried again at the next call
        finally:
            self._busy = False

    def _before_call(self, **_: Any) -> None:
        self.renew_if_due()

    def renewing(self, callback: Callable[[_A], None]) -> Callable[[_A], None]:
        """``callback`` (a phase boundary, a live view's second) that also renews the lease
        when it is due, so a long stretch without AWS calls does not let it expire."""

        def renew_then(arg: _A) -> None:
            self.renew_if_due()
            callback(arg)

        return renew_then

    def release(self, keep: bool = False) -> None:
        """Remove this command's lease (``keep``: turn it into the mark of changes left in
        place, which only a rollback of this run's log or --break-lease removes); a stack
        already gone took the lease with it."""
        if not self.held:
            return
        self.held = False
        self._busy = True  # no renewal from here on
        # shielded, as the rollback before it: a stop request must not cut the release short
        with (
            stop.shielded(lambda: f"releasing the lease on stack {self.stack}"),
            contextlib.suppress(AwsError, stop.Abandoned),  # else it expires on its own
        ):
            if keep:
                with aws_errors(f"mark stack {self.stack} as left with changes in place"):
                    self._write(self.now(), kept=True)
                return
            self._delete_own()
            if self._log is not None and self._log.path.exists():  # a clean run deleted it
                self._log.note(lease_released=True)

    def _delete_own(self) -> None:
        with aws_errors(f"release the lease on stack {self.stack}"):
            try:
                self.session.client("ec2").delete_tags(
                    Resources=[self.vpc_id], Tags=[{"Key": LEASE_TAG + self.run_id}]
                )
            except Exception as exc:  # the VPC was torn down: nothing to release
                if "NotFound" not in str(exc):
                    raise


class NoLease:
    """Where nothing outlives the process (in-process moto) there is nothing to lease."""

    held = False
    vpc_id: str | None = None
    found: bool | None = None
    vpc_tags: dict[str, str] = {}  # noqa: RUF012

    def take(self) -> bool:
        return False

    def claim(self, vpc_id: str) -> None:
        return None

    def record_to(self, log: RollbackLog) -> None:
        return None

    def renewing(self, callback: Callable[[_A], None]) -> Callable[[_A], None]:
        return callback

    def release(self, keep: bool = False) -> None:
        return None


@contextmanager
def holding(session: AwsSession, stack: str, request: LeaseRequest) -> Iterator[StackLease]:
    """A lease on ``stack``, not yet taken, released however the block ends."""
    lease = StackLease(session, stack, request)
    try:
        yield lease
    finally:
        lease.release()


def lease_for(session: AwsSession, stack: str, request: LeaseRequest) -> StackLease | NoLease:
    """A lease on ``stack`` where the session's state outlives the process, else none."""
    return StackLease(session, stack, request) if session.persistent else NoLease()
