"""Records benchmark: alerts created and listed through KIX's full stack (signed, encrypted), and list
latency at scale on PostgreSQL.

Run from the repository root:

    /tmp/kv/bin/python -m bench.records                  # SQLite: throughput only (about 2 minutes)
    /tmp/kv/bin/python -m bench.records --postgres       # PostgreSQL: throughput, then 100 000 alerts
    options: [--workers 1] [--concurrency 8] [--requests 2000] [--seconds 8] [--rounds 3]
             [--scale N] [--pages 20] [--scale-rounds 5] [--skip-throughput]

Everything runs on 127.0.0.1, set up as bench/roundtrip.py does (whose helpers it reuses): a temp dir
holds the server key and the demo agencies' keys (de-bka creates, it-dcsa reads); the database is a fresh
SQLite file, or with --postgres a scratch database `kix_bench` on the local server (dropped at the end).
`kix serve` and the bare echo app (bench/bare_app.py) run as subprocesses with the same worker count.

Part 1, throughput. Each round runs four phases: the bare app's `POST /v1/echo` (the same alert body, plain
JSON, no secure channel) for context, then against KIX: `create` (de-bka posts alerts to /v1/alerts,
distribution all_members), `list` (it-dcsa: GET /v1/alerts?limit=50) and `list-filtered` (it-dcsa:
status=active&country=IT&sort=urgency&limit=50). A phase's requests are signed and encrypted (each with
its own nonce) just before it starts and replayed as raw HTTP/1.1 over keep-alive connections; it stops
after --requests requests or --seconds seconds, whichever comes first, so that every signature is still
fresh (the server accepts them for 60 s). Each list phase is preceded by one untimed request of the same
shape, so the rows the list endpoint writes on a first view (record_views) are not in the timed region.
Medians over the rounds are reported, with the ratio to the bare app (a list answers 50 records where the
bare app echoes one object: the ratio is context, not a like-for-like comparison).

Part 2, at scale (PostgreSQL only; --scale N, default 100 000). The records of part 1 are truncated;
app.demo's directory is added as its fill() makes it (22 agencies, 4 groups), it-dcsa joins the EU task
force group, and N alerts are loaded with COPY into `records` and `record_grants`, each row what
services.records.create_record would write (body validated by AlertCreate; 24 owners; distribution mostly
all_members, some groups, agencies and owner_only; statuses over the whole lifecycle; created_at over two
years; ids from app.ids.uuid7). Then VACUUM ANALYZE, and it-dcsa pages through three list shapes through
the full stack: 50 per page, following next_cursor for --pages pages, --scale-rounds times each. Round 1
is reported apart: it is the first time it-dcsa sees those rows, so the endpoint's record_views insert
adds rows (in later rounds it finds them there). Finally the SQL that services.record_queries.list_records
issues for each shape (first and last page), captured from SQLAlchemy, is run under EXPLAIN (ANALYZE,
BUFFERS).

Figures are printed, never asserted. Responses are checked outside the timed region: a sample is
verified and decrypted with the SDK's Codec; failed requests are counted and reported, not fatal.
"""

import argparse
import asyncio
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvloop
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from app.client.codec import Codec, KixProblem
from app.crypto.jwe import MEDIA_TYPE as JOSE_MEDIA_TYPE
from app.crypto.keys import load_key_file
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.demo import AGENCIES, GROUPS, _alert, _rules, add_directory
from app.ids import uuid7
from app.schemas.alerts import AlertCreate
from app.services.identity.agencies import add_group_member
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordFilters, count_records, cursor_position, list_records
from app.services.records.store import _body, _rules_json
from app.services.vault import Vault, new_secrets
from bench.roundtrip import (
    ACTOR,
    HOST,
    VERIFY_SAMPLE,
    BenchError,
    PhaseResult,
    RawResponse,
    Server,
    close_connection,
    kix_env,
    positive_int,
    read_response,
    serialise,
    set_up_kix,
    start_kix_and_bare,
    stop_server,
)

CREATOR = "de-bka"  # the agency set_up_kix returns a Codec for
READER = "it-dcsa"  # the second demo agency: lists what de-bka (and, at scale, everyone) shares
READER_GROUP = "eu-ransom-taskforce"  # it-dcsa joins it for part 2, so group grants reach it
PAGE_SIZE = 50
SIGNATURE_BUDGET_SECONDS = 40.0
SCRATCH_DATABASE = "kix_bench"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_SCALE = 100_000
# Countries alerts happen in: the demo agencies' and the two callers'.
COUNTRIES = sorted({agency[1] for agency in AGENCIES if agency[1] != "EU"} | {"DE", "IT"})
FILTER_COUNTRY = "IT"
# Part 1: what it-dcsa lists, by phase name.
LIST_PHASES: dict[str, dict[str, Any]] = {
    "list": {"limit": PAGE_SIZE},
    "list-filtered": {"status": "active", "country": FILTER_COUNTRY, "sort": "urgency", "limit": PAGE_SIZE},
}
# Part 2: the list shapes paged through (query parameters besides limit and cursor).
SCALE_SHAPES: dict[str, dict[str, str]] = {
    "active+country (recent)": {"status": "active", "country": FILTER_COUNTRY},
    "sort=urgency": {"sort": "urgency"},
    "unfiltered (recent)": {},
}
# Part 2 data: distribution modes and statuses, with weights.
MODES = {"all_members": 70, "groups": 12, "agencies": 12, "owner_only": 6}
STATUSES = {"active": 30, "unresolved": 10, "released": 20, "rescued": 15, "deceased": 3, "closed": 22}
HISTORY_DAYS = 730


# ---------------------------------------------------------------- request bodies
def alert_body(rng: random.Random, now: datetime) -> dict[str, Any]:
    """A realistic alert (app.demo's generator) by CREATOR, distributed to all members."""
    rules = _rules(rng, CREATOR, [a[0] for a in AGENCIES], [g[0] for g in GROUPS])
    rules["distribution"] = {"mode": "all_members"}
    status = rng.choices(["active", "unresolved"], weights=[4, 1])[0]
    return _alert(rng, now, rng.choice(COUNTRIES)) | {"status": status, "rules": rules}


@dataclass
class Batch:
    """Pre-serialised requests, and what the checks need: the request objects and the payloads sent."""

    wire: list[bytes]
    requests: list[httpx.Request]
    payloads: list[Any]
    built_started: float


def signed(codec: Codec, method: str, url: str, params: dict[str, Any] | None, payload: Any) -> httpx.Request:
    """A request signed (and its body, if any, encrypted) by `codec`: what KixClient sends."""
    body, headers = codec.seal_body(payload)
    request = httpx.Request(method, url, params=params, headers=headers, content=body)
    codec.sign(request, body, None)
    return request


# ---------------------------------------------------------------- phases
@dataclass(frozen=True)
class PhaseSpec:
    name: str
    server: Server
    codec: Codec | None  # None: the bare app (plain JSON)
    method: str
    path: str
    params: dict[str, Any] | None
    expected_status: int
    check: Callable[[Any, Any], str | None]  # (sent payload, response data) -> what is wrong, or None


def build_batch(spec: PhaseSpec, count: int, rng: random.Random) -> Batch:
    started = time.monotonic()
    url = spec.server.base_url + spec.path
    batch = Batch(wire=[], requests=[], payloads=[], built_started=started)
    now = datetime.now(UTC)
    for _ in range(count):
        payload = alert_body(rng, now) if spec.method == "POST" else None
        if spec.codec is None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            request = httpx.Request(
                spec.method,
                url,
                params=spec.params,
                headers={"content-type": "application/json"},
                content=body,
            )
        else:
            request = signed(spec.codec, spec.method, url, spec.params, payload)
            body = request.content
        batch.wire.append(serialise(request, body))
        batch.requests.append(request)
        batch.payloads.append(payload)
    return batch


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


async def drive(
    server: Server,
    connection: Connection,
    wire: list[bytes],
    indices: Iterator[int],
    latencies: list[float],
    result: PhaseResult,
) -> None:
    """Send requests one after another on a keep-alive connection until the shared iterator runs dry.
    Like roundtrip.drive_connection, but a connection the server drops is counted (status 0) and reopened."""
    clock = time.perf_counter
    for index in indices:
        sent = clock()
        try:
            connection.writer.write(wire[index])
            response = await read_response(connection.reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            latencies[index] = (clock() - sent) * 1000
            result.statuses[0] += 1
            result.samples.setdefault(index, RawResponse(status=0, headers=[], body=b""))
            await close_connection(connection.writer)
            connection.reader, connection.writer = await asyncio.open_connection(HOST, server.port)
            continue
        latencies[index] = (clock() - sent) * 1000
        result.statuses[response.status] += 1
        if index < VERIFY_SAMPLE or (response.status >= 400 and len(result.samples) < 2 * VERIFY_SAMPLE):
            result.samples[index] = response


async def fire(server: Server, batch: Batch, concurrency: int, seconds: float, label: str) -> PhaseResult:
    """Replay the batch over `concurrency` keep-alive connections (opened before the clock starts) until
    it runs out or `seconds` pass."""
    result = PhaseResult(label=label)
    connections = [Connection(*await asyncio.open_connection(HOST, server.port)) for _ in range(concurrency)]
    latencies = [math.nan] * len(batch.wire)
    issued = 0
    clock = time.perf_counter

    def indices(deadline: float) -> Iterator[int]:
        nonlocal issued
        for index in range(len(batch.wire)):
            if clock() >= deadline:
                return
            issued += 1
            yield index

    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    started = clock()
    shared = indices(started + seconds)
    tasks = [
        asyncio.ensure_future(drive(server, connection, batch.wire, shared, latencies, result))
        for connection in connections
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    except TimeoutError as exc:
        raise BenchError(f"{label}: requests still unanswered 30 s after the phase's end") from exc
    finally:
        result.elapsed = clock() - started
        result.client_cpu = time.process_time() - client_cpu
        result.server_cpu = server.cpu_seconds() - server_cpu
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in connections:
            await close_connection(connection.writer)
    result.latencies_ms = [latency for latency in latencies if not math.isnan(latency)]
    result.completed = len(result.latencies_ms)
    if result.completed != issued:
        raise BenchError(f"{label}: {result.completed} of {issued} requests answered")
    return result


def open_raw(codec: Codec | None, request: httpx.Request, raw: RawResponse, label: str) -> Any:
    """The JSON of a response: verified and decrypted through the SDK's Codec for KIX."""
    if codec is None:
        return json.loads(raw.body)
    response = httpx.Response(raw.status, headers=raw.headers, content=raw.body, request=request)
    if response.headers.get("content-type", "").split(";")[0].strip() != JOSE_MEDIA_TYPE:
        raise BenchError(f"{label}: a response is not encrypted ({response.headers})")
    return codec.open_response(request, response)  # verifies signature + digest, then decrypts


def errors(spec: PhaseSpec, result: PhaseResult) -> int:
    return result.completed - result.statuses[spec.expected_status]


def problem(spec: PhaseSpec, request: httpx.Request, raw: RawResponse) -> str:
    """What a failed response says (a KIX problem is signed and encrypted: opened with the SDK)."""
    if raw.status == 0:
        return "connection dropped by the server"
    try:
        open_raw(spec.codec, request, raw, spec.name)
    except KixProblem as exc:
        return str(exc)
    except Exception as exc:  # a diagnostic, whatever went wrong
        return f"{raw.status} {raw.body[:200]!r} ({exc})"
    return f"{raw.status} {raw.body[:200]!r}"


def check_phase(spec: PhaseSpec, result: PhaseResult, batch: Batch) -> None:
    """Responses with the expected status must verify, decrypt and make sense (sampled). Others are
    counted and reported with the first one's problem; they do not stop the run."""
    failed: tuple[int, RawResponse] | None = None
    for index, raw in sorted(result.samples.items()):
        if raw.status != spec.expected_status:
            failed = failed or (index, raw)
            continue
        wrong = spec.check(batch.payloads[index], open_raw(spec.codec, batch.requests[index], raw, spec.name))
        if wrong:
            raise BenchError(f"{result.label}: response {index}: {wrong}")
    if errors(spec, result):
        bad = {status: n for status, n in result.statuses.items() if status != spec.expected_status}
        detail = problem(spec, batch.requests[failed[0]], failed[1]) if failed else "(not sampled)"
        print(
            f"  ! {result.label}: {errors(spec, result)} failed {bad} (0: connection dropped); e.g. {detail}"
        )


def check_echo(payload: Any, data: Any) -> str | None:
    return None if data == {"agency_id": "x", "payload": payload} else f"echoed {data!r}"


def check_created(payload: Any, data: Any) -> str | None:
    if data.get("owner") != CREATOR or data.get("category") != payload["category"]:
        return f"created {data!r}"
    if data.get("status") != payload["status"] or data["rules"]["distribution"]["mode"] != "all_members":
        return f"created {data!r}"
    return None


def check_list(params: dict[str, Any]) -> Callable[[Any, Any], str | None]:
    def check(_payload: Any, data: Any) -> str | None:
        items = data.get("items")
        if not isinstance(items, list) or not 0 < len(items) <= PAGE_SIZE:
            return f"a page of {len(items) if isinstance(items, list) else items!r} items"
        for item in items:
            if "status" in params and item["status"] != params["status"]:
                return f"an item with status {item['status']}"
            if "country" in params and item["place"]["country"] != params["country"]:
                return f"an item in {item['place']['country']}"
        return None

    return check


# ---------------------------------------------------------------- part 1: throughput
@dataclass
class Throughput:
    args: argparse.Namespace
    runner: asyncio.Runner
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    items: dict[str, int] = field(default_factory=dict)  # items on the last primed page, by list phase

    def prime(self, spec: PhaseSpec) -> None:
        """One untimed request of a list's shape first (the endpoint notes first views, a write)."""
        batch = build_batch(spec, 1, self.rng)
        result = self.runner.run(fire(spec.server, batch, 1, 30.0, f"prime {spec.name}"))
        check_phase(spec, result, batch)
        raw = result.samples[0]
        if raw.status == spec.expected_status:
            self.items[spec.name] = len(open_raw(spec.codec, batch.requests[0], raw, spec.name)["items"])

    def phase(self, spec: PhaseSpec, count: int, label: str) -> PhaseResult:
        if spec.method == "GET":
            self.prime(spec)
        batch = build_batch(spec, count, self.rng)  # just before firing: fresh signatures
        result = self.runner.run(fire(spec.server, batch, self.args.concurrency, self.args.seconds, label))
        check_phase(spec, result, batch)
        age = time.monotonic() - batch.built_started
        if spec.codec is not None and age > SIGNATURE_BUDGET_SECONDS:
            print(f"  warning: {label} took {age:.1f} s from first signature; use fewer --requests")
        return result


def describe(result: PhaseResult) -> str:
    return (
        f"  {result.label:<24} {result.completed:>6} req in {result.elapsed:5.2f} s "
        f"{result.throughput:8.1f} req/s  p50 {result.percentile(0.50):7.2f}  "
        f"p95 {result.percentile(0.95):7.2f}  p99 {result.percentile(0.99):7.2f} ms  "
        f"server CPU {result.server_cpu_ms_per_request:5.2f} ms/req"
    )


def medians(spec: PhaseSpec, results: list[PhaseResult]) -> dict[str, float]:
    return {
        "rps": round(statistics.median(r.throughput for r in results), 1),
        "p50_ms": round(statistics.median(r.percentile(0.50) for r in results), 3),
        "p95_ms": round(statistics.median(r.percentile(0.95) for r in results), 3),
        "p99_ms": round(statistics.median(r.percentile(0.99) for r in results), 3),
        "server_cpu_ms_per_req": round(statistics.median(r.server_cpu_ms_per_request for r in results), 3),
        "errors": sum(errors(spec, r) for r in results),
    }


def throughput(args: argparse.Namespace, runner: asyncio.Runner, phases: list[PhaseSpec]) -> dict[str, Any]:
    run = Throughput(args=args, runner=runner)
    created = 0
    for spec in phases:
        result = run.phase(spec, args.warmup, f"warm-up {spec.name}")
        created += result.statuses[201] if spec.name == "create" else 0
        print(describe(result))
    outcome: dict[str, list[PhaseResult]] = {spec.name: [] for spec in phases}
    for round_no in range(1, args.rounds + 1):
        for spec in phases:
            result = run.phase(spec, args.requests, f"round {round_no} {spec.name}")
            created += result.statuses[201] if spec.name == "create" else 0
            outcome[spec.name].append(result)
            print(describe(result))
    figures = {spec.name: medians(spec, outcome[spec.name]) for spec in phases}
    bare = figures["bare"]
    print()
    print(
        f"medians over {args.rounds} rounds (at most {args.requests} requests or {args.seconds:g} s a phase, "
        f"{args.concurrency} connections, {args.workers} worker(s)); latency: write to read"
    )
    print(
        f"  {'':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'errors':>6}"
        f"  {'vs bare: req/s':>14} {'p50':>6} {'p99':>6}  {'items':>5}"
    )
    for name, row in figures.items():
        print(
            f"  {name:<14} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}"
            f" {row['p99_ms']:>8.2f}"
            f" {row['server_cpu_ms_per_req']:>10.2f} {row['errors']:>6.0f}"
            f"  {row['rps'] / bare['rps']:>13.3f}x {row['p50_ms'] / bare['p50_ms']:>5.1f}x"
            f" {row['p99_ms'] / bare['p99_ms']:>5.1f}x  {run.items.get(name, 1):>5}"
        )
    print(
        f"  CPU: the server's process group (not PostgreSQL's backends); items: records per response."
        f"\n  Alerts created in all: {created}, all visible to {READER} (all_members)"
    )
    return {"phases": figures, "created": created, "items_per_page": run.items}


# ---------------------------------------------------------------- PostgreSQL scratch database
def admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_scratch(admin_url: str) -> str:
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{SCRATCH_DATABASE}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)


def drop_scratch(admin_url: str) -> None:
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'))
    finally:
        engine.dispose()


def psycopg_connect(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database,
    )


# ---------------------------------------------------------------- part 2: data at scale
@dataclass(frozen=True)
class Directory:
    owners: list[str]
    groups: list[str]


def prepare_directory(db: Database) -> Directory:
    """Empty the records; add app.demo's agencies and groups (as its fill() does) with READER in a group."""
    with db.engine.begin() as connection:
        connection.execute(text("TRUNCATE records CASCADE"))
    with db.transaction() as session:
        add_directory(session)
        add_group_member(session, READER_GROUP, READER)
    owners = sorted({a[0] for a in AGENCIES} | {CREATOR, READER})
    print(
        f"  directory: {len(owners)} agencies own alerts (app.demo's and both callers), {len(GROUPS)} groups"
    )
    return Directory(owners=owners, groups=[g[0] for g in GROUPS])


RECORD_COLUMNS = (
    "id, kind, owner_id, status, category, urgency_rank, country, occurred_at, handling, distribution, "
    "discoverable, review_by, rules, body, version, created_at, updated_at, data_key"
)


def scale_rows(
    count: int, directory: Directory, vault: Vault, seed: int
) -> Iterator[tuple[tuple[Any, ...], list[tuple[str, str, str, datetime]]]]:
    """(records row, record_grants rows) for `count` alerts, as services.records.create_record writes them."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    modes, mode_weights = list(MODES), list(MODES.values())
    statuses, status_weights = list(STATUSES), list(STATUSES.values())
    for _ in range(count):
        owner = rng.choice(directory.owners)
        rules = _rules(rng, owner, directory.owners, directory.groups)
        mode = rng.choices(modes, weights=mode_weights)[0]
        distribution: dict[str, Any] = {"mode": mode}
        if mode == "groups":
            distribution["groups"] = rng.sample(directory.groups, k=rng.randint(1, 2))
        elif mode == "agencies":
            others = [agency for agency in directory.owners if agency != owner]
            distribution["agencies"] = rng.sample(others, k=rng.randint(1, 4))
        rules["distribution"] = distribution
        # Occurred up to two years ago, reported minutes to two days later.
        occurred = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        raw = _alert(rng, now, rng.choice(COUNTRIES)) | {"occurred_at": occurred.isoformat(), "rules": rules}
        data = AlertCreate.model_validate(raw)
        body = _body(data)
        columns = ALERTS.columns(body)
        created = min(occurred + timedelta(minutes=rng.randint(5, 2880)), now - timedelta(seconds=1))
        review_by: date = data.rules.review_by or (created + ALERTS.default_review).date()
        status = rng.choices(statuses, weights=status_weights)[0]
        # A status past active/unresolved came with an update: version 2, updated later.
        changed = status not in ("active", "unresolved")
        updated = min(created + timedelta(days=rng.uniform(0, 60)), now) if changed else created
        record_id = uuid7()
        secrets, wrapped_key = new_secrets(vault, record_id)  # sealed as services.records seals it
        row = (
            record_id,
            ALERTS.kind.value,
            owner,
            status,
            columns["category"],
            columns["urgency_rank"],
            columns["country"],
            columns["occurred_at"],
            data.rules.handling.value,
            mode,
            data.rules.discoverable,
            review_by,
            json.dumps(_rules_json(data.rules, review_by)),
            json.dumps(secrets.seal_body(ALERTS.kind.value, body)),
            2 if changed else 1,
            created,
            updated,
            wrapped_key,
        )
        grants = [
            (record_id, "agency", agency, created) for agency in sorted(set(distribution.get("agencies", [])))
        ]
        grants += [
            (record_id, "group", group, created) for group in sorted(set(distribution.get("groups", [])))
        ]
        yield row, grants


def bulk_load(url: str, count: int, directory: Directory, vault: Vault) -> None:
    """COPY `count` alerts and their grants in one transaction, then VACUUM ANALYZE."""
    started = time.perf_counter()
    grants: list[tuple[str, str, str, datetime]] = []
    with psycopg_connect(url) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY records ({RECORD_COLUMNS}) FROM STDIN") as copy:
                for row, row_grants in scale_rows(count, directory, vault, seed=7):
                    copy.write_row(row)
                    grants.extend(row_grants)
            copied = time.perf_counter()
            with cursor.copy(
                "COPY record_grants (record_id, grantee_type, grantee_id, granted_at) FROM STDIN"
            ) as copy:
                for grant in grants:
                    copy.write_row(grant)
        connection.commit()
        loaded = time.perf_counter()
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE) records")
        connection.execute("VACUUM (ANALYZE) record_grants")
        sizes = connection.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('records')), "
            "pg_size_pretty(pg_total_relation_size('record_grants'))"
        ).fetchone()
    analysed = time.perf_counter()
    print(
        f"  loaded {count} alerts ({count / (loaded - started):.0f}/s, generation and validation included) "
        f"and {len(grants)} grants in {loaded - started:.1f} s (records COPY {copied - started:.1f} s); "
        f"VACUUM ANALYZE {analysed - loaded:.1f} s; sizes with indexes: "
        f"records {sizes[0] if sizes else '?'}, record_grants {sizes[1] if sizes else '?'}"
    )


def shape_filters(params: dict[str, str]) -> tuple[RecordFilters, str]:
    filters = RecordFilters(status=params.get("status"), country=params.get("country"))
    return filters, params.get("sort", "recent")


def visible_counts(db: Database) -> None:
    """How many alerts READER may see, in all and per shape (counted in process by count_records)."""
    print(f"  rows {READER} can see (services.records.count_records, in process):")
    with db.sessions() as session:
        total = session.execute(text("SELECT count(*) FROM records")).scalar_one()
        print(f"    {'all alerts in the table':<28} {total:>8}")
        shapes: dict[str, dict[str, str]] = {"all visible": {}} | SCALE_SHAPES
        for name, params in shapes.items():
            filters, _ = shape_filters(params)
            started = time.perf_counter()
            count = count_records(session, ALERTS, READER, filters)
            elapsed = (time.perf_counter() - started) * 1000
            print(f"    {name:<28} {count:>8}   (count query {elapsed:6.1f} ms)")


# ---------------------------------------------------------------- part 2: paging through the full stack
@dataclass
class PageTiming:
    shape: str
    round_no: int
    page: int
    latency_ms: float
    items: int


async def page_through(
    server: Server, codec: Codec, shape: str, params: dict[str, str], pages: int, round_no: int
) -> list[PageTiming]:
    """Page 1, then follow next_cursor: sign each request (untimed), time write-to-read, open it (untimed)."""
    reader, writer = await asyncio.open_connection(HOST, server.port)
    timings: list[PageTiming] = []
    cursor: str | None = None
    try:
        for page in range(1, pages + 1):
            query: dict[str, Any] = params | {"limit": PAGE_SIZE} | ({"cursor": cursor} if cursor else {})
            request = signed(codec, "GET", f"{server.base_url}/v1/alerts", query, None)
            wire = serialise(request, b"")
            sent = time.perf_counter()
            writer.write(wire)
            raw = await read_response(reader)
            latency = (time.perf_counter() - sent) * 1000
            if raw.status != 200:
                raise BenchError(f"{shape} page {page}: {raw.status} {raw.body[:300]!r}")
            data = open_raw(codec, request, raw, shape)
            wrong = check_list(params)(None, data)
            if wrong:
                raise BenchError(f"{shape} page {page}: {wrong}")
            timings.append(PageTiming(shape, round_no, page, latency, len(data["items"])))
            cursor = data["page"]["next_cursor"]
            if cursor is None:
                break
    finally:
        await close_connection(writer)
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def report_paging(timings: list[PageTiming], rounds: int) -> dict[str, Any]:
    print()
    print(
        f"list latency at scale, ms (it-dcsa, {PAGE_SIZE} per page, request written to response read); "
        f"r1 = round 1, first views (record_views rows added); p50/p95/max: rounds 2-{rounds}, repeat views"
    )
    print(
        f"  {'shape':<26} {'pages':>5} {'rows':>6}  {'r1 p50':>7} {'r1 p95':>7}"
        f"  {'p50':>7} {'p95':>7} {'max':>7}"
        f"  {'page 1 p50':>10} {'pages>=10 p50':>13}"
    )
    summary: dict[str, Any] = {}
    for shape in SCALE_SHAPES:
        mine = [t for t in timings if t.shape == shape]
        first = [t.latency_ms for t in mine if t.round_no == 1]
        later = [t for t in mine if t.round_no > 1] or [t for t in mine]
        warm = [t.latency_ms for t in later]
        page_one = [t.latency_ms for t in later if t.page == 1]
        deep = [t.latency_ms for t in later if t.page >= 10]
        pages = max(t.page for t in mine)
        rows = sum(t.items for t in mine if t.round_no == 1)
        row = {
            "pages": pages,
            "rows": rows,
            "round1_p50_ms": round(percentile(first, 0.5), 2),
            "round1_p95_ms": round(percentile(first, 0.95), 2),
            "p50_ms": round(percentile(warm, 0.5), 2),
            "p95_ms": round(percentile(warm, 0.95), 2),
            "max_ms": round(max(warm), 2),
            "page1_p50_ms": round(percentile(page_one, 0.5), 2),
            "deep_p50_ms": round(percentile(deep, 0.5), 2),
        }
        summary[shape] = row
        print(
            f"  {shape:<26} {pages:>5} {rows:>6}  {row['round1_p50_ms']:>7.2f} {row['round1_p95_ms']:>7.2f}"
            f"  {row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f} {row['max_ms']:>7.2f}"
            f"  {row['page1_p50_ms']:>10.2f} {row['deep_p50_ms']:>13.2f}"
        )
    return summary


# ---------------------------------------------------------------- part 2: the plans
def captured_list_sql(db: Database, params: dict[str, str], page: int) -> tuple[str, Any, int]:
    """The records query services.record_queries.list_records issues for READER's `page` of a shape (following
    the cursor position in process), as SQL and parameters; and the page actually reached."""
    filters, sort = shape_filters(params)
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        statements.append((statement, parameters))

    after: list[Any] | None = None
    reached = 1
    with db.sessions() as session:
        for number in range(1, page):
            rows = list_records(session, ALERTS, READER, filters, sort=sort, after=after, limit=PAGE_SIZE + 1)
            if len(rows) <= PAGE_SIZE:
                break
            after, reached = cursor_position(rows[PAGE_SIZE - 1], sort), number + 1
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            list_records(session, ALERTS, READER, filters, sort=sort, after=after, limit=PAGE_SIZE + 1)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    return statement, parameters, reached


def explain(db: Database, pages: int) -> None:
    print()
    print(
        f"EXPLAIN (ANALYZE, BUFFERS) of the list query (services.record_queries), caller {READER}, limit 51"
    )
    for number, (shape, params) in enumerate(SCALE_SHAPES.items()):
        for page in (1, pages):
            statement, parameters, reached = captured_list_sql(db, params, page)
            if number == 0 and page == 1:
                print(f"--- SQL ({shape}, page 1), parameters {parameters}:\n{statement}")
            with db.engine.connect() as connection:
                plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                lines = [str(line) for line in plan.scalars()]
            print(f"--- plan: {shape}, page {reached}")
            print("\n".join(f"  {line}" for line in lines))


# ---------------------------------------------------------------- part 2: driver
def at_scale(
    args: argparse.Namespace, runner: asyncio.Runner, db: Database, kix: Server, codec: Codec, vault: Vault
) -> Any:
    print()
    print(f"== list latency at scale: {args.scale} alerts on PostgreSQL")
    directory = prepare_directory(db)
    bulk_load(db.url, args.scale, directory, vault)
    visible_counts(db)
    timings: list[PageTiming] = []
    for round_no in range(1, args.scale_rounds + 1):
        for shape, params in SCALE_SHAPES.items():
            timings += runner.run(page_through(kix, codec, shape, params, args.pages, round_no))
    summary = report_paging(timings, args.scale_rounds)
    explain(db, args.pages)
    return {"scale": args.scale, "paging": summary}


# ---------------------------------------------------------------- the run
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="keep-alive connections")
    parser.add_argument(
        "--requests", type=positive_int, default=2000, help="at most this many requests a phase"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="at most this long a phase (max 30)")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds of phases (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=100, help="untimed requests a phase first")
    parser.add_argument("--postgres", action="store_true", help=f"use a scratch {SCRATCH_DATABASE} database")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server to create it on")
    parser.add_argument("--scale", type=int, default=None, help=f"alerts to load (default {DEFAULT_SCALE})")
    parser.add_argument("--pages", type=positive_int, default=20, help="pages to follow per shape at scale")
    parser.add_argument("--scale-rounds", type=positive_int, default=5, help="paging rounds at scale")
    parser.add_argument("--skip-throughput", action="store_true", help="skip part 1")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (database, logs)")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = DEFAULT_SCALE if args.postgres else 0
    if args.scale < 0:
        parser.error("--scale must be 0 or more")
    if args.scale and not args.postgres:
        parser.error("--scale needs --postgres")
    if not 0 < args.seconds <= 30:
        parser.error("--seconds must be in (0, 30]: signatures expire after 60 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kix-bench-"))
    servers: list[Server] = []
    db: Database | None = None
    scratch = False
    failed = True
    try:
        env = kix_env(workdir)
        if args.postgres:
            env["KIX_DATABASE_URL"] = create_scratch(args.postgres_url)
            scratch = True
        creator = set_up_kix(workdir, env)
        demo_dir = workdir / "demo"
        server_jwks = json.loads((demo_dir / "server.jwks.json").read_text(encoding="utf-8"))
        reader = Codec(load_key_file(demo_dir / f"{READER}.key.json"), server_jwks, actor=ACTOR)
        kix, bare = start_kix_and_bare(env, args.workers, workdir, servers)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"KIX on :{kix.port} ({backend}), bare on :{bare.port}; {args.workers} worker(s) each; {workdir}"
        )
        summary: dict[str, Any] = {"backend": backend, "workers": args.workers}
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            if not args.skip_throughput:
                phases = [
                    PhaseSpec("bare", bare, None, "POST", "/v1/echo", None, 200, check_echo),
                    PhaseSpec("create", kix, creator, "POST", "/v1/alerts", None, 201, check_created),
                ]
                phases += [
                    PhaseSpec(name, kix, reader, "GET", "/v1/alerts", params, 200, check_list(params))
                    for name, params in LIST_PHASES.items()
                ]
                print("== create and list throughput")
                summary["throughput"] = throughput(args, runner, phases)
            if args.scale:
                db = Database(env["KIX_DATABASE_URL"])
                vault = Vault(load_storage_keys(Path(env["KIX_KEYS_DIR"]), create=True)[0])
                summary["at_scale"] = at_scale(args, runner, db, kix, reader, vault)
        print(json.dumps(summary, separators=(",", ":")))
        failed = False
        return 0
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        for server in servers:
            # Log lines can be whole JSON tracebacks: the end of each is what says what went wrong.
            tail = "\n".join(line[-600:] for line in server.log_tail(12).splitlines())
            if tail:
                print(f"--- {server.name} log (last lines, cut) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            stop_server(server)
        if db is not None:
            db.dispose()
        if scratch:
            drop_scratch(args.postgres_url)
        if args.keep_temp or failed:
            print(f"temp dir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
