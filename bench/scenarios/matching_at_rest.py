"""Part 2 of the matching benchmark: what encryption at rest costs a record's create and get, in process
(SQLite; PostgreSQL with --postgres).

Two fresh databases, one per mode, each migrated (as `kix admin migrate` does) and holding de-bka
(owner) and it-dcsa (reader, granted by name). The same --ops suspect bodies (bench/data/bodies.py) are
created (services.records.creation.create_record, one transaction each) and each is read back twice in a
row (get_visible + disclosure.current_body as it-dcsa, a session each: first with its data key not yet
unwrapped, then with it in the Vault's cache), with the real Vault and with BypassVault (seal and open
return their input, no data key is wrapped or unwrapped), in --rounds interleaved rounds. Medians per
operation (with p95) and the ratio sealed/bypassed are printed. Blind indexes are computed in both modes.
"""

import argparse
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.bootstrap import DEMO_AGENCIES
from app.crypto.storage_keys import StorageKeys
from app.db import Database
from app.errors import Gone
from app.schemas.common import InputModel
from app.services.identity.agencies import create_agency
from app.services.records.creation import create_record
from app.services.records.disclosure import current_body
from app.services.records.kinds import SUSPECTS
from app.services.records.store import Actor, get_visible
from app.services.vault import Vault
from bench.data.bodies import BodyMaker, validated
from bench.harness.databases import Workspace
from bench.harness.servers import ACTOR, BenchError, kix_env, migrate
from bench.harness.wire import percentile
from bench.scenarios.matching_data import QUERIER, READER

BYPASS_KEY = bytes(32)
BYPASS_WRAPPED = "k0.bypassed"
SEALED_PREFIX = "f1."  # how a sealed field starts (app.crypto.envelope)


class BypassVault(Vault):
    """This benchmark only: a Vault with the encryption layer taken out. Bodies and texts are stored as
    given, and no data key is made, wrapped or unwrapped; blind indexes are still computed (with the same
    index key)."""

    def new_data_key(self, owner: str) -> tuple[bytes, str]:
        return BYPASS_KEY, BYPASS_WRAPPED

    def data_key(self, wrapped: str | None, owner: str) -> bytes:
        if wrapped is None:
            raise Gone(f"{owner} has been purged: its data key is destroyed")
        return BYPASS_KEY

    def seal(
        self, key: bytes, fields: tuple[str, ...], body: dict[str, Any], *, table: str, row: str
    ) -> dict[str, Any]:
        return dict(body)

    def open(
        self, key: bytes, fields: tuple[str, ...], sealed: dict[str, Any], *, table: str, row: str
    ) -> dict[str, Any]:
        return dict(sealed)

    def seal_text(self, key: bytes, text: str, *, table: str, row: str, field: str) -> str:
        return text

    def open_text(self, key: bytes, token: str, *, table: str, row: str, field: str) -> str:
        return token


@dataclass
class ModeTimings:
    create: list[float] = field(default_factory=list)  # create_record, ms
    transaction: list[float] = field(default_factory=list)  # session, create_record and commit, ms
    get: list[float] = field(default_factory=list)  # get_visible + current_body, data key not cached
    get_cached: list[float] = field(default_factory=list)  # the same again: data key cached


def at_rest_bodies(count: int) -> list[InputModel]:
    """Realistic suspects (part 1's generator) by QUERIER, distributed by name to READER."""
    maker = BodyMaker(random.Random(11))
    bodies: list[InputModel] = []
    for _ in range(count):
        raw = maker.suspect()
        raw["rules"] = maker.rules(QUERIER, {"mode": "agencies", "agencies": [READER]})
        bodies.append(validated(SUSPECTS.create, raw))
    return bodies


def at_rest_database(workspace: Workspace, name: str) -> Database:
    url = workspace.database_url(name)
    migrate(kix_env(workspace.dir, url))
    db = workspace.open(url)
    with db.transaction() as session:
        for agency in DEMO_AGENCIES:
            create_agency(session, agency)
    return db


def create_batch(db: Database, vault: Vault, bodies: list[InputModel], timings: ModeTimings) -> list[str]:
    actor = Actor(QUERIER, ACTOR)
    ids: list[str] = []
    clock = time.perf_counter
    for data in bodies:
        started = clock()
        with db.transaction() as session:
            called = clock()
            record = create_record(session, SUSPECTS, actor, data, vault, now=datetime.now(UTC))
            returned = clock()
        committed = clock()
        timings.create.append((returned - called) * 1000)
        timings.transaction.append((committed - started) * 1000)
        ids.append(record.id)
    return ids


def get_batch(db: Database, vault: Vault, ids: list[str], timings: ModeTimings) -> None:
    """Each record read twice in a row, each read in its own session: first with its data key not yet
    unwrapped, then with it in the Vault's cache."""
    clock = time.perf_counter
    for record_id in ids:
        for into in (timings.get, timings.get_cached):
            with db.sessions() as session:
                started = clock()
                body = current_body(get_visible(session, SUSPECTS, READER, record_id), vault)
                into.append((clock() - started) * 1000)
            if not isinstance(body["names"], list):
                raise BenchError(f"record {record_id} read back without its names")


def check_at_rest(
    dbs: dict[str, Database], vaults: dict[str, Vault], first: dict[str, str], data: InputModel
) -> None:
    """Both modes read back the same body, with the names created; only the sealed one stores ciphertext."""
    bodies: dict[str, dict[str, Any]] = {}
    for mode, db in dbs.items():
        with db.sessions() as session:
            record = get_visible(session, SUSPECTS, READER, first[mode])
            stored_names = record.body["names"]
            bodies[mode] = current_body(record, vaults[mode])
        sealed = isinstance(stored_names, str) and stored_names.startswith(SEALED_PREFIX)
        if sealed != (mode == "sealed"):
            raise BenchError(f"{mode}: names stored as {str(stored_names)[:40]!r}")
        if bodies[mode]["names"] != data.model_dump(mode="json")["names"]:
            raise BenchError(f"{mode}: the names read back differ from those created")
    if bodies["sealed"] != bodies["bypassed"]:
        raise BenchError("the sealed and the bypassed record read back differently")


def at_rest_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 2: encryption at rest on create and get, in process ({workspace.backend})")
    dbs = {mode: at_rest_database(workspace, f"{args.database}_{mode}") for mode in ("sealed", "bypassed")}
    keys = StorageKeys.generate()
    vaults: dict[str, Vault] = {"sealed": Vault(keys), "bypassed": BypassVault(keys)}
    bodies = at_rest_bodies(args.ops)
    timings = {mode: ModeTimings() for mode in dbs}
    chunk = -(-len(bodies) // args.rounds)
    first: dict[str, str] = {}
    for round_no in range(args.rounds):
        batch = bodies[round_no * chunk : (round_no + 1) * chunk]
        order = list(dbs) if round_no % 2 == 0 else list(reversed(dbs))
        ids: dict[str, list[str]] = {}
        for mode in order:
            ids[mode] = create_batch(dbs[mode], vaults[mode], batch, timings[mode])
            first.setdefault(mode, ids[mode][0])
        for mode in order:
            get_batch(dbs[mode], vaults[mode], ids[mode], timings[mode])
    check_at_rest(dbs, vaults, first, bodies[0])
    print(
        f"  {len(bodies)} suspects per mode, {args.rounds} interleaved rounds (sealed first in odd rounds); "
        f"median per op in ms (p95); ratio = sealed / bypassed"
    )
    print(f"  {'operation':<44} {'sealed':>16} {'bypassed':>16} {'difference':>10} {'ratio':>6}")
    labels = {
        "create": "create_record",
        "transaction": "create: session + create_record + commit",
        "get": "get_visible + current_body (1st read)",
        "get_cached": "the same again (2nd read, data key cached)",
    }
    summary: dict[str, Any] = {"backend": workspace.backend, "ops": len(bodies), "rounds": args.rounds}
    for attribute, label in labels.items():
        sealed: list[float] = getattr(timings["sealed"], attribute)
        bypassed: list[float] = getattr(timings["bypassed"], attribute)
        s50, b50 = statistics.median(sealed), statistics.median(bypassed)
        s95, b95 = percentile(sealed, 0.95), percentile(bypassed, 0.95)
        summary[attribute] = {
            "sealed_ms": round(s50, 4),
            "bypassed_ms": round(b50, 4),
            "ratio": round(s50 / b50, 3),
        }
        print(
            f"  {label:<44} {s50:>7.3f} ({s95:>6.3f}) {b50:>7.3f} ({b95:>6.3f}) {s50 - b50:>+10.3f}"
            f" {s50 / b50:>6.2f}"
        )
    return summary
