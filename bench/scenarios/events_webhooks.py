"""Part 3 of the events benchmark: webhook delivery throughput, in process (SQLite; PostgreSQL with
--postgres).

A fresh database, migrated, with app.demo's agencies, de-bka and it-dcsa; four of them get a key each
(services.identity.credentials.register_credential), the key their deliveries are encrypted to. de-bka
shares 20 alerts with the three others. A receiver (bench/harness/receiver.py: a threaded http.server
on 127.0.0.1, HTTP/1.1 keep-alive, 204 to every POST) runs in a process of its own; each endpoint is an
http:// URL on it (allowed in development: Settings(env="development")), registered through
services.events.webhooks.register. For each run, --deliveries events per endpoint agency are written
through services.events.outbox.emit_record_event in four transactions: record.updated about one of
the alerts, for the endpoint agencies only, so the fan-out discloses and seals it for each and a delivery
opens it and encrypts it, as it would a real update. Then services.events.delivery.Deliverer(...)
.run_once() is called until every delivery is `delivered` (its calls are timed, not the count between
them); the receiver's count is checked.

Runs: one endpoint and one deliverer; four endpoints (four agencies) and one deliverer; four endpoints
and --deliverers deliverers, each a process of its own with its Deliverer, as many `kix serve` workers
or `kix worker`s would run them, from a common start to the last delivery (leases give an endpoint to one
deliverer at a time, so this shows whether unrelated endpoints go in parallel). For the first run the
time per delivery is split by timing the deliverer's steps (wrapped, in this process): the fan-out of
the changes (run_once starts with it), leases, queueing
(events to deliveries), preparing (of which opening the record and JWE encryption), posting (of which
resolving the address, the RFC 9421 signature and the HTTP exchange) and recording the outcomes.
"""

import argparse
import multiprocessing
import random
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.bootstrap import DEMO_AGENCIES
from app.clock import SystemClock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.crypto.keystore import load_server_keys
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.demo import add_directory
from app.models import Agency, Record, WebhookDelivery
from app.schemas.agencies import CredentialCreate
from app.schemas.events import EventType
from app.services.events import delivery, outbox, webhooks
from app.services.events.delivery import Deliverer
from app.services.events.fanout import fan_out
from app.services.events.feed import RecordOpener
from app.services.identity.agencies import create_agency
from app.services.identity.credentials import register_credential
from app.services.records.creation import create_record
from app.services.records.kinds import ALERTS
from app.services.records.store import Actor
from app.services.vault import Vault
from bench.data.bodies import BodyMaker, validated
from bench.harness.databases import Workspace
from bench.harness.servers import (
    ACTOR,
    BenchError,
    Server,
    free_port,
    kix_env,
    migrate,
    server_vault,
    start_server,
    wait_ready,
)
from bench.scenarios.events_data import Subject, record_payloads

GOAL_PER_SECOND = 500.0
AGENCIES = ["de-bka", "it-dcsa", "fr-ocrb", "es-ucic"]  # with an endpoint each; the first one alone first
ALERTS_SHARED = 20
TRANSACTIONS = 4
WARM_UP = 20  # deliveries before the first timed run
PARALLEL_TIMEOUT_SECONDS = 300.0


def settings_for(url: str, keys_dir: Path) -> Settings:
    return Settings(env="development", database_url=url, keys_dir=keys_dir, webhook_timeout_seconds=5.0)


def delivered(db: Database) -> int:
    with db.sessions() as session:
        query = select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "delivered")
        return int(session.scalar(query) or 0)


# ---------------------------------------------------------------- set-up
def webhook_database(workspace: Workspace, name: str) -> tuple[Database, dict[str, str], dict[str, str]]:
    """The database, each endpoint agency's key id, and the environment (its keys dir)."""
    url = workspace.database_url(name)
    workdir = workspace.dir / "webhooks"
    workdir.mkdir(exist_ok=True)
    env = kix_env(workdir, url)
    migrate(env)
    db = workspace.open(url)
    kids: dict[str, str] = {}
    with db.transaction() as session:
        add_directory(session)
        for agency in DEMO_AGENCIES:
            create_agency(session, agency)
        for agency_id in AGENCIES:
            key = KeyPair.generate()
            scopes = session.scalars(select(Agency.scopes).where(Agency.id == agency_id)).one()
            public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk, "scopes": scopes}
            kids[agency_id] = register_credential(
                session, agency_id, CredentialCreate.model_validate(public)
            ).kid
    return db, kids, env


def shared_alerts(db: Database, vault: Vault) -> list[Subject]:
    """ALERTS_SHARED alerts of AGENCIES[0]'s, shared with the other AGENCIES, and what each may read."""
    maker = BodyMaker(random.Random(17))
    owner, others = AGENCIES[0], AGENCIES[1:]
    ids = []
    with db.transaction() as session:
        for _ in range(ALERTS_SHARED):
            rules = maker.rules(owner, {"mode": "agencies", "agencies": others})
            raw = maker.alert(datetime.now(UTC), "DE") | {"status": "active", "rules": rules}
            data = validated(ALERTS.create, raw)
            ids.append(
                create_record(session, ALERTS, Actor(owner, ACTOR), data, vault, now=datetime.now(UTC)).id
            )
    fan_out(db, vault)  # their record.created events, before any endpoint exists
    with db.sessions() as session:
        records = list(session.scalars(select(Record).where(Record.id.in_(ids))))
        return [Subject(record, record_payloads(session, vault, record)) for record in records]


def emit_updates(
    db: Database, vault: Vault, subjects: list[Subject], agencies: list[str], count: int
) -> None:
    """`count` record.updated events for each of `agencies`, in TRANSACTIONS transactions."""
    per = -(-count // TRANSACTIONS)
    made = 0
    while made < count:
        now = datetime.now(UTC)
        with db.transaction() as session:
            for index in range(made, min(count, made + per)):
                subject = subjects[index % len(subjects)]
                outbox.emit_record_event(
                    session, subject.record, EventType.RECORD_UPDATED, now=now, only=agencies
                )
        made = min(count, made + per)


def add_endpoints(db: Database, kids: dict[str, str], agencies: list[str], receiver: Server) -> None:
    with db.transaction() as session:
        for agency_id in agencies:
            url = f"{receiver.base_url}/kix/events/{agency_id}"
            webhooks.register(
                session,
                agency_id,
                kids[agency_id],
                ACTOR,
                url,
                [],
                private_allowed=True,
                now=datetime.now(UTC),
            )


# ---------------------------------------------------------------- delivering, timed
class Split:
    """Seconds spent in each wrapped step of the deliverer."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return wrapper


@contextmanager
def instrumented(deliverer: Deliverer, split: Split) -> Iterator[None]:
    """The deliverer's steps, and the functions they call, timed into `split` inside the block."""
    steps = {"lease": "_lease", "release": "_release", "queue": "_queue", "prepare": "_prepare"}
    steps |= {"post": "_post", "record": "_record"}
    wrapped: list[tuple[Any, str]] = [(deliverer, attribute) for attribute in steps.values()]
    wrapped += [(deliverer.jwe, "encrypt"), (deliverer.http, "post"), (RecordOpener, "open")]
    names = [*steps, "encrypt", "http", "open_record"]
    opener = RecordOpener.open
    for (owner, attribute), name in zip(wrapped, names, strict=True):
        setattr(owner, attribute, split.timed(name, getattr(owner, attribute)))
    originals = {name: getattr(delivery, name) for name in ("fan_out", "resolve", "sign_webhook")}
    for name, function in originals.items():
        setattr(delivery, name, split.timed(name, function))
    try:
        yield
    finally:
        for owner, attribute in wrapped:
            if owner is RecordOpener:
                setattr(owner, attribute, opener)
            else:
                delattr(owner, attribute)  # the instance attribute: its class's method shows again
        for name, function in originals.items():
            setattr(delivery, name, function)


def deliver_all(deliverer: Deliverer, db: Database, expected: int) -> tuple[float, int]:
    """run_once until `expected` deliveries (in all) are delivered: the seconds in run_once, and calls."""
    seconds, calls, idle = 0.0, 0, 0
    while delivered(db) < expected:
        started = time.perf_counter()
        attempted = deliverer.run_once()
        seconds += time.perf_counter() - started
        calls += 1
        idle = 0 if attempted else idle + 1
        if idle > 3:
            with db.sessions() as session:
                errors = session.scalars(
                    select(WebhookDelivery.last_error).where(WebhookDelivery.attempts > 0)
                )
                raise BenchError(f"deliveries stall at {delivered(db)} of {expected}: {errors.first()}")
    return seconds, calls


def parallel_deliverer(url: str, keys_dir: str, expected: int, start: Any, results: Any) -> None:
    """A deliverer process: set up, wait for the common start, deliver until `expected` are delivered."""
    try:
        db = Database(url)
        keys = Path(keys_dir)
        server_key = load_server_keys(keys, create=False)[0]
        vault = Vault(load_storage_keys(keys, create=False)[0])
        deliverer = Deliverer(db, settings_for(url, keys), server_key, vault, SystemClock())
        start.wait()
        attempted, deadline = 0, time.monotonic() + PARALLEL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            done = deliverer.run_once()
            attempted += done
            if not done:
                if delivered(db) >= expected:
                    break
                time.sleep(0.002)  # every endpoint leased by another deliverer, or none left
        results.put((attempted, None))
        deliverer.close()
        db.dispose()
    except Exception as exc:  # reported by the parent
        results.put((0, f"{type(exc).__name__}: {exc}"))
        start.abort()  # the parent, if still waiting for every process to start, stops waiting


def deliver_in_parallel(url: str, keys_dir: str, expected: int, processes: int) -> float:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes + 1), context.Queue()
    workers = [
        context.Process(target=parallel_deliverer, args=(url, keys_dir, expected, start, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        try:
            start.wait(timeout=120)
        except threading.BrokenBarrierError as exc:
            raise BenchError(f"a deliverer process did not start: {results.get(timeout=10)[1]}") from exc
        started = time.perf_counter()
        outcomes = [results.get(timeout=PARALLEL_TIMEOUT_SECONDS) for _ in workers]
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    failed = [error for _, error in outcomes if error]
    if failed:
        raise BenchError(f"a deliverer process failed: {failed[0]}")
    print(f"    deliveries attempted per process: {sorted(attempted for attempted, _ in outcomes)}")
    return elapsed


def http_floor(receiver: Server, body: bytes, count: int) -> float:
    """ms per POST of `body` to the receiver, one after another, by an httpx client alone (no KIX)."""
    with httpx.Client(timeout=5.0) as http:
        url = f"{receiver.base_url}/floor"
        http.post(url, content=body)
        started = time.perf_counter()
        for _ in range(count):
            http.post(url, content=body, headers={"content-type": "application/jose"})
        return (time.perf_counter() - started) * 1000 / count


# ---------------------------------------------------------------- the part
def report_split(split: Split, deliveries: int, total: float) -> dict[str, float]:
    s = defaultdict(float, split.seconds)
    parts = {
        "fan-out: changes to events (disclose, seal; db)": s["fan_out"],
        "leases (db)": s["lease"] + s["release"],
        "queue: events to deliveries (db)": s["queue"],
        "prepare: select, JSON (db)": s["prepare"] - s["open_record"] - s["encrypt"],
        "prepare: open the record view": s["open_record"],
        "prepare: JWE encryption": s["encrypt"],
        "post: resolve the address": s["resolve"],
        "post: RFC 9421 signature": s["sign_webhook"],
        "post: HTTP exchange (httpx)": s["http"],
        "post: the rest (headers, URL)": s["post"] - s["resolve"] - s["sign_webhook"] - s["http"],
        "record the outcomes (db)": s["record"],
    }
    steps = ("fan_out", "lease", "release", "queue", "prepare", "post", "record")
    parts["the rest: endpoint list, endpoint/key reads, commit"] = total - sum(s[step] for step in steps)
    print(
        f"  per delivery, {AGENCIES[0]}'s endpoint alone, ms (wrapped steps of Deliverer, in this process):"
    )
    for name, seconds in parts.items():
        print(f"    {name:<52} {seconds * 1000 / deliveries:7.3f}  {100 * seconds / total:5.1f}%")
    return {name: round(seconds * 1000 / deliveries, 4) for name, seconds in parts.items()}


def webhooks_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 3: webhook delivery throughput, in process ({workspace.backend})")
    db, kids, env = webhook_database(workspace, f"{args.database}_webhooks")
    vault = server_vault(env)
    keys_dir = env["KIX_KEYS_DIR"]
    server_key = load_server_keys(Path(keys_dir), create=True)[0]
    port = free_port()
    command = [sys.executable, "-m", "bench.harness.receiver", "--port", str(port)]
    receiver = start_server("receiver", command, env, port, workspace.dir)
    workspace.servers.append(receiver)
    wait_ready(receiver)
    subjects = shared_alerts(db, vault)
    url = env["KIX_DATABASE_URL"]
    deliverer = Deliverer(db, settings_for(url, Path(keys_dir)), server_key, vault, SystemClock())
    runs: dict[str, dict[str, Any]] = {}
    k = args.deliveries
    print(
        f"  receiver on :{receiver.port} (its own process, HTTP/1.1 keep-alive, 204); {k} record.updated"
        f" events per endpoint; goal >= {GOAL_PER_SECOND:.0f} deliveries/s with one deliverer"
    )
    print(f"  {'run':<44} {'deliveries':>10} {'seconds':>8} {'per second':>10} {'run_once calls':>14}")
    expected = 0

    def report(name: str, count: int, seconds: float, calls: int | str, goal: bool) -> None:
        rate = count / seconds if seconds else 0.0
        verdict = ("met" if rate >= GOAL_PER_SECOND else "MISSED") if goal else ""
        print(f"  {name:<44} {count:>10} {seconds:>8.2f} {rate:>10.1f} {calls!s:>14}  {verdict}")
        runs[name] = {"deliveries": count, "seconds": round(seconds, 3), "per_second": round(rate, 1)}

    add_endpoints(db, kids, AGENCIES[:1], receiver)
    emit_updates(db, vault, subjects, AGENCIES[:1], WARM_UP)  # untimed: connections, caches, compiled SQL
    expected += WARM_UP
    deliver_all(deliverer, db, expected)
    emit_updates(db, vault, subjects, AGENCIES[:1], k)
    split = Split()
    expected += k
    with instrumented(deliverer, split):
        seconds, calls = deliver_all(deliverer, db, expected)
    report("1 endpoint, 1 deliverer", k, seconds, calls, goal=True)
    one = seconds

    add_endpoints(db, kids, AGENCIES[1:], receiver)
    emit_updates(db, vault, subjects, AGENCIES, k)
    expected += k * len(AGENCIES)
    seconds, calls = deliver_all(deliverer, db, expected)
    report(f"{len(AGENCIES)} endpoints, 1 deliverer", k * len(AGENCIES), seconds, calls, goal=True)
    deliverer.close()

    emit_updates(db, vault, subjects, AGENCIES, k)
    expected += k * len(AGENCIES)
    seconds = deliver_in_parallel(url, keys_dir, expected, args.deliverers)
    report(
        f"{len(AGENCIES)} endpoints, {args.deliverers} deliverer processes",
        k * len(AGENCIES),
        seconds,
        "-",
        False,
    )

    stats = httpx.get(f"{receiver.base_url}/stats", timeout=5).json()
    if stats["posts"] != expected or delivered(db) != expected:
        raise BenchError(
            f"the receiver got {stats['posts']} deliveries, {delivered(db)} delivered, of {expected}"
        )
    body = stats["bytes"] / stats["posts"]
    print(f"  every delivery received once ({stats['posts']}), {body:.0f} bytes of JWE each on average")
    floor = http_floor(receiver, bytes(round(body)), min(k, 1000))
    print(
        f"  the receiver's floor: httpx POSTs of {body:.0f} bytes, one after another, without KIX: "
        f"{floor:.3f} ms each ({1000 / floor:.0f}/s)"
    )
    per_delivery = report_split(split, k, one)
    return {"runs": runs, "per_delivery_ms": per_delivery, "body_bytes": round(body), "http_floor_ms": floor}
