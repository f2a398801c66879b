"""Part 1 of the events benchmark, in process: where a feed page's time goes, and the plan of the feed
query, for it-dcsa's page from the middle of its feed.

The trace runs the route's own read (app.api.feed._read: a fan-out of what waits, a read transaction,
services.events.feed.read, the events as JSON texts) --trace-runs times after one untimed run, with
fan_out, feed.read, RecordOpener.open and FeedItem.json_text wrapped to time them; then what the route
does with the page (its JSON assembled from the events' texts) and the JWE encryption of that body to
it-dcsa's key, as the secure channel encrypts a response. Medians are printed. Then the SQL that
feed.read issues (captured on a second run, the first warming the pools), with its plan: EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select, text

from app.api import feed as feed_api
from app.crypto.encoding import b64url_decode
from app.crypto.jwe import JweCodec
from app.db import Database
from app.models import Agency, Credential
from app.services.events import feed
from app.services.identity.authentication import Caller
from app.services.vault import Vault
from bench.harness.databases import captured, plan, plan_kind
from bench.harness.servers import ACTOR
from bench.scenarios.records_scale import READER


def reader_caller(db: Database) -> Caller:
    """READER's key as the server sees a request signed with it."""
    with db.sessions() as session:
        key = session.scalars(select(Credential).where(Credential.agency_id == READER)).first()
        allowed = session.scalars(select(Agency.scopes).where(Agency.id == READER)).one()
        if key is None:
            raise RuntimeError(f"{READER} has no key")
        public = X25519PublicKey.from_public_bytes(b64url_decode(key.encrypt_public))
        return Caller(READER, key.kid, ACTOR, frozenset(key.scopes) & frozenset(allowed), public)


def reader_events(db: Database) -> int:
    with db.sessions() as session:
        query = text("SELECT count(*) FROM events WHERE agency_id = :agency")
        return int(session.execute(query, {"agency": READER}).scalar_one())


def position_after(db: Database, events: int) -> feed.Position:
    """The (txid, id) of READER's `events`-th event: where a page that starts after it starts."""
    if not events:
        return feed.START
    query = text("SELECT txid, id FROM events WHERE agency_id = :agency ORDER BY txid, id LIMIT 1 OFFSET :n")
    with db.sessions() as session:
        txid, row = session.execute(query, {"agency": READER, "n": events - 1}).one()
    return int(txid), int(row)


# ---------------------------------------------------------------- where the time goes
class Stopwatch:
    def __init__(self) -> None:
        self.runs: dict[str, list[float]] = {}
        self.current: dict[str, float] = {}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] = self.current.get(name, 0.0) + (time.perf_counter() - started) * 1000

        return wrapper

    def time(self, name: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.wrap(name, function)(*args, **kwargs)

    def keep(self) -> None:
        for name, ms in self.current.items():
            self.runs.setdefault(name, []).append(ms)
        self.current = {}

    def median(self, name: str) -> float:
        return statistics.median(self.runs.get(name, [0.0]))


def trace_page(
    db: Database, vault: Vault, position: feed.Position, limit: int, runs: int
) -> dict[str, float]:
    caller = reader_caller(db)
    watch, jwe = Stopwatch(), JweCodec()
    wrapped = [
        (feed_api, "fan_out"),
        (feed, "read"),
        (feed.RecordOpener, "open"),
        (feed.FeedItem, "json_text"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name in wrapped]
    for owner, name, function in originals:
        setattr(owner, name, watch.wrap(name, function))
    try:
        for run in range(runs + 1):
            events, _ = watch.time("route", feed_api._read, db, vault, caller, position, [], limit)
            body: bytes = watch.time("page", feed_api.page_json, events, "-" * 80).encode()
            watch.time(
                "jwe", jwe.encrypt, body, caller.encrypt_public, recipient_kid=caller.kid, sender_kid="s"
            )
            watch.current["bytes"] = len(body) / 1000
            if run:
                watch.keep()
            else:
                watch.current = {}
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)
    m = watch.median
    rows = {
        "route's read (app.api.feed._read): fan-out, transaction, feed.read, JSON texts": m("route"),
        "  fan_out (nothing waiting: one probe)": m("fan_out"),
        "  feed.read": m("read"),
        f"    RecordOpener.open x {len(events)}: decrypt, narrow": m("open"),
        "    the rest: events query, data keys unwrapped once per record": m("read") - m("open"),
        f"  FeedItem.json_text x {len(events)}: the envelope encoded, the view spliced": m("json_text"),
        "the page's JSON assembled (page_json)": m("page"),
        f"JWE encryption of the body ({m('bytes'):.0f} kB) to {READER}'s key": m("jwe"),
    }
    print()
    print(
        f"where a page's time goes, in process ({READER}, {len(events)} events, medians of {runs} runs), ms"
    )
    for name, ms in rows.items():
        print(f"  {name:<72} {ms:7.2f}")
    return {name.strip(): round(ms, 3) for name, ms in rows.items()}


# ---------------------------------------------------------------- the plan
def explain(db: Database, vault: Vault, position: feed.Position, limit: int, page: int) -> None:
    print()
    print(f"{plan_kind(db)} of services.events.feed.read for {READER}'s page {page} (limit {limit})")
    scopes = reader_caller(db).scopes
    for _ in range(2):  # the second run is shown: the first warms the pool and caches
        with db.sessions() as session, captured(db) as statements:
            started = time.perf_counter()
            items, _ = feed.read(session, vault, READER, scopes, position, limit=limit)
            elapsed = (time.perf_counter() - started) * 1000
    print(
        f"  in process (second run): {len(items)} events in {elapsed:.1f} ms, {len(statements)} statements:"
    )
    for statement in statements:
        print(f"  {statement.seconds * 1000:7.2f} ms  {' '.join(statement.sql.split())[:150]}")
    for statement in statements:
        if "FROM events" in statement.sql or "FROM records" in statement.sql:
            print(f"--- SQL, parameters {statement.parameters}:\n{statement.sql}")
            print("\n".join(f"  {line}" for line in plan(db, statement.sql, statement.parameters)))
