"""Part 2 of the events benchmark: what the transactional outbox costs a create (goal: at most 10% slower;
SQLite, PostgreSQL with --postgres), through the full stack and in process.

Through the full stack, as the audit log's cost is measured (bench/harness/ab.py): two `kix serve`, one
as it is, one started through bench/harness/without_outbox.py, where the create's change row is a no-op
(for this benchmark only); --rounds interleaved rounds of --requests POST /v1/alerts one at a time to
each. Medians over rounds of p50 and server CPU per create, and the ratios outbox / no outbox.

In process, the create's own transaction alone (the stricter ratio: none of the request's other work):
one fresh database, migrated (as `kix admin migrate` does), with app.demo's 22 agencies and de-bka and
it-dcsa: 24. de-bka creates realistic alerts (bench/data/bodies.py) through
services.records.creation.create_record, one transaction each, in two distributions: all_members (24
recipients) and three named agencies (4: theirs and the owner's). Each is run with the outbox as it is
(one `changes` row a create, whatever the audience) and with emit_records_created replaced by a no-op in
app.services.records.creation (monkeypatched here, for this benchmark only: no change row, no NOTIFY), the
two modes taking turns create by create (which goes first alternates), so that this machine's drifts
touch both alike. Printed: medians (p95) of
create_record and of the whole transaction (session, create_record and commit), the ratio outbox / no
outbox against the goal (<= 1.10), the change rows each create wrote and the time in emit_records_created.

Then the work the outbox moves out of the writer's transaction: the fan-out of every change written
(fanout.fan_out, after commit: disclosure to the audience, sealing, one event row per recipient), timed
in batches as the feed and the deliverer run it, with the events each create became.
"""

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.bootstrap import DEMO_AGENCIES
from app.crypto.storage_keys import StorageKeys
from app.db import Database
from app.demo import add_directory
from app.models import Change, Event
from app.schemas.common import InputModel
from app.services.events.fanout import BATCH, fan_out_batch
from app.services.identity.agencies import create_agency
from app.services.records import creation
from app.services.records.creation import create_record
from app.services.records.kinds import ALERTS
from app.services.records.store import Actor
from app.services.vault import Vault
from bench.data.bodies import COUNTRIES, BodyMaker, validated
from bench.harness.ab import alert_server, create_target, interleaved, launcher
from bench.harness.databases import Workspace
from bench.harness.servers import ACTOR, BenchError, kix_env, migrate
from bench.harness.wire import percentile

GOAL_RATIO = 1.10
OWNER = "de-bka"
DISTRIBUTIONS: dict[str, dict[str, Any]] = {
    "all_members": {"mode": "all_members"},
    "3 agencies": {"mode": "agencies", "agencies": ["it-dcsa", "fr-ocrb", "es-ucic"]},
}
MODES = ("outbox", "no outbox")
WARM_UP = 5  # creates per mode and distribution, untimed


@dataclass
class Timings:
    create: list[float] = field(default_factory=list)  # create_record, ms
    transaction: list[float] = field(default_factory=list)  # session, create_record and commit, ms
    emit: list[float] = field(default_factory=list)  # emit_records_created within create_record (outbox)
    ids: list[str] = field(default_factory=list)


def timed(function: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - started) * 1000)

    return wrapper


def no_event(*_args: Any, **_kwargs: Any) -> None:
    return None


@contextmanager
def outbox_mode(mode: str, timings: Timings) -> Iterator[None]:
    """The outbox as it is (timed), or emit_records_created a no-op, in create_record's module."""
    emit = creation.emit_records_created
    creation.emit_records_created = timed(emit, timings.emit) if mode == "outbox" else no_event
    try:
        yield
    finally:
        creation.emit_records_created = emit


def outbox_database(workspace: Workspace, name: str) -> Database:
    url = workspace.database_url(name)
    migrate(kix_env(workspace.dir, url))
    db = workspace.open(url)
    with db.transaction() as session:
        add_directory(session)
        for agency in DEMO_AGENCIES:
            create_agency(session, agency)
    return db


def create_batch(db: Database, vault: Vault, bodies: list[InputModel], timings: Timings) -> None:
    actor = Actor(OWNER, ACTOR)
    clock = time.perf_counter
    for data in bodies:
        started = clock()
        with db.transaction() as session:
            called = clock()
            record = create_record(session, ALERTS, actor, data, vault, now=datetime.now(UTC))
            returned = clock()
        committed = clock()
        timings.create.append((returned - called) * 1000)
        timings.transaction.append((committed - started) * 1000)
        timings.ids.append(record.id)


def rows_per_create(db: Database, table: type[Change] | type[Event], ids: list[str]) -> float:
    with db.sessions() as session:
        query = select(func.count()).select_from(table).where(table.record_id.in_(ids))
        return int(session.scalar(query) or 0) / len(ids)


def fan_out_part(db: Database, vault: Vault, timings: dict[tuple[str, str], Timings]) -> dict[str, Any]:
    """Fan out every change the creates wrote, in batches as the feed and the deliverer do; timed."""
    with db.sessions() as session:
        changes = int(session.scalar(select(func.count()).select_from(Change)) or 0)
    batches: list[float] = []
    events = 0
    while True:
        started = time.perf_counter()
        with db.transaction() as session:
            written, more = fan_out_batch(session, vault, BATCH)
        batches.append((time.perf_counter() - started) * 1000)
        events += written
        if not more:
            break
    seconds = sum(batches) / 1000
    print(
        f"  the fan-out, after commit: {changes} changes became {events} events in {len(batches)} batches "
        f"of up to {BATCH}, {seconds:.2f} s: {changes / seconds:.0f} changes/s, {events / seconds:.0f} "
        f"events/s (one fan-out at a time)"
    )
    summary: dict[str, Any] = {
        "changes_per_s": round(changes / seconds),
        "events_per_s": round(events / seconds),
    }
    for name in DISTRIBUTIONS:
        ids = timings["outbox", name].ids
        summary[f"{name} events_per_create"] = rows_per_create(db, Event, ids)
        print(f"    {name:<12} {summary[f'{name} events_per_create']:.0f} events a create")
    return summary


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):>7.3f} ({percentile(values, 0.95):>7.3f})"


def full_stack_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 2: the outbox's cost on a create, through the full stack ({workspace.backend})")
    maker = BodyMaker(random.Random(17))
    servers = {
        mode: alert_server(workspace, f"{args.database}_http", mode, launcher(module))
        for mode, module in (("outbox", None), ("no outbox", "bench.harness.without_outbox"))
    }
    targets = {
        mode: [create_target(f"{mode} POST", kix.server, kix.codec, maker)] for mode, kix in servers.items()
    }
    figures = interleaved(targets, args.rounds, args.requests)
    with servers["outbox"].db.sessions() as session:
        written = int(session.scalar(select(func.count()).select_from(Change)) or 0)
    with servers["no outbox"].db.sessions() as session:
        unwritten = int(session.scalar(select(func.count()).select_from(Change)) or 0)
    if written < args.rounds * args.requests or unwritten > 1:  # the one alert alert_server created
        raise BenchError(f"change rows: {written} with the outbox, {unwritten} without")
    with_outbox, without = figures["outbox POST"], figures["no outbox POST"]
    p50 = with_outbox["p50_ms"] / without["p50_ms"]
    cpu = with_outbox["server_cpu_ms_per_req"] / without["server_cpu_ms_per_req"]
    print(
        f"  POST /v1/alerts, medians over {args.rounds} rounds of {args.requests}, one at a time: p50"
        f" {with_outbox['p50_ms']:.2f} ms with the outbox, {without['p50_ms']:.2f} ms without: x{p50:.3f}"
        f" ({'met' if p50 <= GOAL_RATIO else 'MISSED'}, goal <= {GOAL_RATIO:.2f}); server CPU per create"
        f" {with_outbox['server_cpu_ms_per_req']:.2f} / {without['server_cpu_ms_per_req']:.2f} ms: x{cpu:.3f}"
    )
    return {
        "outbox": with_outbox,
        "no_outbox": without,
        "p50_ratio": round(p50, 3),
        "cpu_ratio": round(cpu, 3),
    }


def outbox_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if not args.skip_outbox_http:
        summary["full_stack"] = full_stack_part(args, workspace)
    print(f"\n== part 2: the outbox's cost on create_record, in process ({workspace.backend})")
    db = outbox_database(workspace, f"{args.database}_outbox")
    vault = Vault(StorageKeys.generate())
    maker = BodyMaker(random.Random(13))
    bodies: dict[str, list[InputModel]] = {
        name: [
            validated(
                ALERTS.create,
                maker.alert(datetime.now(UTC), maker.rng.choice(COUNTRIES))
                | {"status": "active", "rules": maker.rules(OWNER, distribution)},
            )
            for _ in range(args.creates)
        ]
        for name, distribution in DISTRIBUTIONS.items()
    }
    timings = {(mode, name): Timings() for mode in MODES for name in DISTRIBUTIONS}
    for mode in MODES:  # untimed: the first creates pay for SQL compilation, pools, caches
        for made in bodies.values():
            with outbox_mode(mode, Timings()):
                create_batch(db, vault, made[:WARM_UP], Timings())
    for index in range(args.creates):
        for mode in MODES if index % 2 == 0 else MODES[::-1]:
            for name, made in bodies.items():
                with outbox_mode(mode, timings[mode, name]):
                    create_batch(db, vault, made[index : index + 1], timings[mode, name])
    print(
        f"  {args.creates} alerts by {OWNER} per mode and distribution, the modes taking turns"
        f"; median ms (p95); ratio = outbox / no outbox (goal <= {GOAL_RATIO:.2f})"
    )
    print(
        f"  {'distribution':<12} {'rows':>5}  {'operation':<32} {'outbox':>17} {'no outbox':>17}"
        f" {'difference':>10} {'ratio':>6}"
    )
    summary |= {"backend": workspace.backend, "creates": args.creates}
    for name in DISTRIBUTIONS:
        with_outbox, without = timings["outbox", name], timings["no outbox", name]
        rows = rows_per_create(db, Change, with_outbox.ids)
        if rows_per_create(db, Change, without.ids) != 0 or rows != 1:
            raise BenchError(f"{name}: {rows} change rows a create with the outbox; or the no-op wrote some")
        summary[name] = {"rows_per_create": rows}
        for attribute, label in (("create", "create_record"), ("transaction", "session + create + commit")):
            a, b = getattr(with_outbox, attribute), getattr(without, attribute)
            ratio = statistics.median(a) / statistics.median(b)
            verdict = ("met" if ratio <= GOAL_RATIO else "MISSED") if attribute == "transaction" else ""
            print(
                f"  {name:<12} {rows:>5.0f}  {label:<32} {cell(a)} {cell(b)}"
                f" {statistics.median(a) - statistics.median(b):>+10.3f} {ratio:>6.2f}  {verdict}"
            )
            summary[name][attribute] = {
                "outbox_ms": round(statistics.median(a), 3),
                "no_outbox_ms": round(statistics.median(b), 3),
                "ratio": round(ratio, 3),
            }
        summary[name]["emit_records_created_ms"] = round(statistics.median(with_outbox.emit), 3)
    print("  with the outbox, inside create_record (median): emit_records_created", end="")
    print(", ".join(f" {name} {summary[name]['emit_records_created_ms']:.3f} ms" for name in DISTRIBUTIONS))
    summary["fan_out"] = fan_out_part(db, vault, timings)
    return summary
