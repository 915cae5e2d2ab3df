"""``sandbox``, ``up``, ``status``, ``down`` and ``rollback``: a stack that outlives one command.

A stack in in-process moto dies with the process, so these commands act on a moto server
(``chaoscli sandbox``), LocalStack or, behind the guard, a real account.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chaoscli import stop
from chaoscli.aws.changes import log_home
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import build, down_command, topology_from_json
from chaoscli.aws.network import find_stack_vpc
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import running_sandbox
from chaoscli.aws.stack_lease import LeaseRequest, holding
from chaoscli.aws.teardown import teardown
from chaoscli.cli.access import (
    AccountOpt,
    AllowRealOpt,
    EndpointOpt,
    RoleOpt,
    SetOpt,
    VarOpt,
    announce,
    not_in_process,
    recorded_endpoint,
)
from chaoscli.cli.app import ExitStatus, app
from chaoscli.cli.environment import Environment, env_of
from chaoscli.cli.leases import BreakLeaseOpt
from chaoscli.errors import Interrupted, NotRestored, SpecError, Terminated
from chaoscli.experiment.compare import unexpected
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import compare, plan_for
from chaoscli.experiment.topology_spec import TopologySpec
from chaoscli.topology import Topology

_DEFAULT = TopologySpec()
StackOpt = Annotated[str, typer.Option(help="The stack's name (its chaoscli:stack tag).")]
RegionOpt = Annotated[str, typer.Option(help="The AWS region the stack lives in.")]


def _persistent(access: Access, command: str) -> None:
    """Refuse in-process moto for commands whose stack must outlive the process."""
    not_in_process(
        access,
        command,
        "needs --endpoint-url or AWS_ENDPOINT_URL: a stack in in-process moto would vanish "
        "when chaoscli exits (start a server with `chaoscli sandbox`)",
    )


@app.command()
def sandbox(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 5000,
) -> None:
    """Run a moto server on 127.0.0.1 until Ctrl-C, for `up`, `run` and the aws CLI."""
    out = env_of(ctx).stdout
    with running_sandbox(port) as box:
        out.print(
            f"moto server listening on {box.url}; Ctrl-C stops it and forgets everything",
            soft_wrap=True,
        )
        out.print(
            f"export AWS_ENDPOINT_URL={box.url} AWS_ACCESS_KEY_ID=testing "
            f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={_DEFAULT.region}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        while not stop.requested():
            time.sleep(0.2)
        stop.withdraw()  # Ctrl-C is how a sandbox ends: not an interruption
        out.print("moto server stopped")


@app.command()
def up(
    ctx: typer.Context,
    experiment: Annotated[
        str, typer.Argument(help="Experiment whose topology to provision.")
    ] = "az-outage",
    set_: SetOpt = None,
    var: VarOpt = None,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
    break_lease: BreakLeaseOpt = False,
) -> None:
    """Provision an experiment's stack on an endpoint and leave it there."""
    access = Access(endpoint_url, allow_real_aws, account, role_arn)
    _persistent(access, "up")
    exp = load(experiment, set_ or [], var or []).experiment
    out = env_of(ctx).stdout
    request = LeaseRequest("up", break_expired=break_lease, break_kept=break_lease)
    with (
        open_guarded(exp.topology.region, access, say=announce(env_of(ctx))) as session,
        holding(session, exp.topology.stack, request) as lease,
    ):
        if lease.take():
            out.print(f"stack {exp.topology.stack} already exists at {session.where}")
        else:
            build(session, plan_for(exp), lease)
            out.print(f"provisioned stack {exp.topology.stack} at {session.where}")
        _show(discover(session, exp.topology.stack), out)


@app.command()
def status(
    ctx: typer.Context,
    stack: StackOpt = _DEFAULT.stack,
    region: RegionOpt = _DEFAULT.region,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
) -> None:
    """Show a stack as discovery reads it back (reads only)."""
    access = Access(endpoint_url, allow_real_aws, account, role_arn)
    _persistent(access, "status")
    with open_guarded(region, access, read_only=True, say=announce(env_of(ctx))) as session:
        if find_stack_vpc(session, stack) is None:
            env_of(ctx).stdout.print(
                f"no stack {stack} at {session.where}", markup=False, highlight=False
            )
            raise typer.Exit(ExitStatus.NO_STACK)
        _show(discover(session, stack), env_of(ctx).stdout)


@app.command()
def down(
    ctx: typer.Context,
    stack: StackOpt = _DEFAULT.stack,
    region: RegionOpt = _DEFAULT.region,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
    break_lease: BreakLeaseOpt = False,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking (for CI).")] = False,
) -> None:
    """Delete everything tagged with the stack's name, after a yes."""
    access = Access(endpoint_url, allow_real_aws, account, role_arn)
    _persistent(access, "down")
    env = env_of(ctx)
    out = env.stdout
    # deleting the stack removes whatever an earlier run left in place with it
    request = LeaseRequest("down", break_expired=break_lease, break_kept=True)
    with (
        open_guarded(region, access, say=announce(env_of(ctx))) as session,
        holding(session, stack, request) as lease,
    ):
        if not lease.take():
            out.print(f"no stack {stack} at {session.where}: nothing to delete")
            return
        if not yes and not _agreed(env, f"Delete stack {stack} at {session.where}?"):
            out.print("nothing deleted")
            return
        try:
            teardown(session, stack)
        except (Interrupted, Terminated):
            again = down_command(session, stack)
            raise stop.error(
                f"while deleting stack {stack}: part of it is left; run `{again}` to finish"
            ) from None
        out.print(f"deleted stack {stack} at {session.where}")


@app.command("rollback")
def rollback_cmd(
    ctx: typer.Context,
    log_path: Annotated[
        Path | None, typer.Argument(metavar="LOG", help="A run's rollback log.")
    ] = None,
    last: Annotated[
        bool,
        typer.Option("--last", help="The newest unfinished log in the per-user state folder."),
    ] = False,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
    region: Annotated[
        str | None, typer.Option(help="Region, if the log does not say (older logs).")
    ] = None,
    break_lease: BreakLeaseOpt = False,
) -> None:
    """Undo what a killed run left behind, then compare the stack with its state before the run.

    Exit 4 when something is left: an undo that failed (its aws command is printed), or a
    difference from before the run; the log is then kept. A log fully done stays, as a
    record, until a later run prunes it (a day on). It takes the stack's lease first, taking
    over the run's own lease that the log names.
    """
    if last == (log_path is not None):
        raise SpecError("rollback", "", "name a rollback log, or pass --last (not both)")
    log_path = log_home.last_unfinished() if log_path is None else log_path
    log = RollbackLog.load(log_path)
    notes = log.notes()
    out = env_of(ctx).stdout
    if notes.get("in_process"):
        out.print(
            f"{log_path}: that run used in-process moto, whose state ended with it: "
            "nothing is left to roll back"
        )
        return
    endpoint = recorded_endpoint(notes, endpoint_url)
    access = Access(endpoint, allow_real_aws, account, role_arn)
    if endpoint is None and not allow_real_aws:
        _persistent(access, "rollback")
    if last:
        out.print(f"rollback log: {log_path}", markup=False, highlight=False, soft_wrap=True)
    pending = log.pending()
    where_region = region or notes.get("region") or _DEFAULT.region
    total = len(pending)

    def progress() -> str:
        return f"{total - len(log.pending())} of {total} change(s) undone"

    stack = notes.get("stack")
    run = notes.get("lease_run")
    request = LeaseRequest("rollback", break_lease, None if run is None else str(run))
    with (
        open_guarded(str(where_region), access, say=announce(env_of(ctx))) as session,
        holding(session, str(stack or ""), request) as lease,
        stop.shielded(progress),
    ):
        if stack:
            lease.take()
        try:
            lines = rollback(session, log)
        except RollbackError as exc:
            for line in exc.undone:
                out.print(f"undone: {line}", markup=False, highlight=False)
            for line in exc.failed:
                out.print(f"FAILED: {line}", markup=False, highlight=False)
            for line in exc.fixes:
                out.print(f"by hand: {line}", markup=False, highlight=False, soft_wrap=True)
            raise  # main turns it into its exit status, as every other error
        for line in lines:
            out.print(f"undone: {line}", markup=False, highlight=False)
        for line in log.problems:
            env_of(ctx).stderr.print(f"chaoscli: warning: {line}", markup=False, soft_wrap=True)
        if not pending:
            out.print(f"{log_path}: nothing left to undo")
        before = _before(notes)
        left: list[str] = []
        if stack and before is not None and find_stack_vpc(session, str(stack)) is not None:
            diffs = compare(before, discover(session, str(stack)))
            for line in diffs:
                out.print(f"difference: {line}", markup=False, highlight=False)
            if not diffs:
                out.print(f"stack {stack} re-discovered: identical to before the run")
            left = unexpected(diffs)
        # a run that lost the race to create the stack provisioned nothing that is left
        ours = "lease_run" not in notes or notes.get("lease_vpc") is not None
        if stack and notes.get("provisioned") and not notes.get("torn_down") and ours:
            vpc = notes.get("lease_vpc")
            teardown(session, str(stack), None if vpc is None else str(vpc))
            log.note(torn_down=True)
            out.print(f"tore down stack {stack}, which the run had provisioned")
            left = []  # its differences went with it
    if run is not None and stack:
        log.note(lease_released=True)  # taken over from the dead run and released with ours
        out.print(f"released run {run}'s lease on stack {stack}", markup=False, highlight=False)
    if left:
        raise NotRestored(
            f"stack {stack} is not as it was before the run: {len(left)} difference(s) "
            f"(above) that no logged change explains; the rollback log {log_path} is kept"
        )


def _agreed(env: Environment, question: str) -> bool:
    """A person's yes on a terminal; without one (a pipe, CI) a refusal naming --yes."""
    if not env.interactive():
        raise SpecError(
            "down",
            "",
            "deleting a stack needs a yes: stdin is not a terminal, so pass --yes "
            "(nothing was changed)",
        )
    return typer.confirm(question, default=False)


def _before(notes: dict[str, object]) -> Topology | None:
    """The topology the run noted before its first fault, if it got that far."""
    data = notes.get("before")
    if not isinstance(data, dict):
        return None
    try:
        return topology_from_json(data)
    except (KeyError, TypeError):
        return None


def _show(topo: Topology, out: Console) -> None:
    """A table per zone: instances by state, targets in rotation, subnets reachable."""
    table = Table(title=f"stack {topo.stack} in {topo.region} ({topo.vpc_id})")
    for column in ("zone", "instances", "in service", "subnets reachable", "database"):
        table.add_column(column, no_wrap=column == "zone")
    db = topo.database
    for az in topo.azs:
        inst = topo.instances_in(az)
        states: dict[str, int] = {}
        for i in inst:
            states[i.state] = states.get(i.state, 0) + 1
        subnets = [s for s in topo.subnets if s.az == az]
        roles = []
        if db is not None:
            if db.primary.az == az:
                roles.append("primary")
            if db.standby_az == az:
                roles.append("standby")
            roles += ["replica" for r in db.replicas if r.az == az]
        table.add_row(
            az,
            ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none",
            str(sum(i.target_state == "healthy" for i in inst)),
            f"{sum(s.reachable for s in subnets)}/{len(subnets)}",
            ", ".join(roles) or "-",
        )
    out.print(table)
    lb = topo.load_balancer
    if lb is not None:
        out.print(f"load balancer {lb.name}: {lb.dns_name}", highlight=False)
