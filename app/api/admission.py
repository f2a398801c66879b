"""A request's admission, for the secure channel: its signature checked, its key's status read, its nonce
claimed and its rate limits drawn, before its route runs (app.services.identity.authentication).

A request over its rate still uses up its nonce, and spends nothing. The commits need not wait for the
disk (Database.relaxed_connection says why that is safe).

- PostgreSQL: the key's status, the nonce claim and the rate-limit draws are one statement in autocommit
  (authentication.OneStatement), awaited on the event loop: one round trip, no BEGIN or COMMIT, no thread
  hop, and a bucket's lock, which every request of a key takes, ends with it. When this node keeps the
  request's key, the statement goes straight through the driver (app.db_driver: about 270 us of CPU
  less than through SQLAlchemy's engine); the rarer cases (a key's first request on this node, a
  signature refused, a draw refused and given back) take an engine's connection.
- SQLite, where one writer holds the whole database anyway: statements of one transaction, in a worker
  thread, never on the event loop. The nonce claim may wait for the write lock, and the transaction
  holding it may need the event loop to finish (a route's commit runs when the loop resumes it), so
  waiting on the loop would deadlock until the timeout.
"""

import functools
from collections.abc import Callable
from datetime import datetime

import anyio.to_thread
from sqlalchemy import Connection

from app.clock import Clock
from app.config import Settings
from app.crypto.httpsig import HttpMessage
from app.db import Database
from app.errors import RateLimited
from app.services.budgets import settle, spend_all
from app.services.identity.authentication import (
    Admission,
    Caller,
    OneStatement,
    RefusedUnderKept,
    after_refusal_under_kept,
    authenticate,
    conclude_kept,
    prepare_kept,
)
from app.services.identity.known_keys import KnownKeys
from app.services.rate_limits import draws as rate_draws

Admitted = tuple[Caller, RateLimited | None]


class Admissions:
    """Admits requests to one app; `known_keys` holds the public halves of the keys this node has met
    (never a key's status: see KnownKeys)."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.known_keys = KnownKeys()

    async def admit(self, request: HttpMessage, body: bytes, route_kind: str) -> Admitted:
        """The caller, and the refusal of its rate limits if it is over them; Unauthenticated if the
        request is not admitted."""
        if self.db.one_writer:
            return await anyio.to_thread.run_sync(self._admit_one_writer, request, body, route_kind)
        now = self.clock.now()
        one = self._one_statement(route_kind)
        try:
            prepared = prepare_kept(self.settings, request, body, now, one)
        except RefusedUnderKept as refused:
            return await self._on_connection(
                functools.partial(after_refusal_under_kept, refused=refused), request, body, now
            )
        if prepared is not None:
            row = await self.db.driver(relaxed=True).first(prepared.statement, prepared.values)
            admission = conclude_kept(prepared, row, now)
            if admission is not None and None not in admission.left:
                return admission.caller, None
            if admission is not None:  # a draw refused: give back the others, on a connection
                return await self._on_connection(lambda *_: admission, request, body, now)
        return await self._on_connection(
            functools.partial(authenticate, in_one_statement=one), request, body, now
        )

    def _one_statement(self, route_kind: str) -> OneStatement:
        return OneStatement(self.known_keys, functools.partial(rate_draws, self.settings, kind=route_kind))

    async def _on_connection(
        self, decide: Callable[..., Admission], request: HttpMessage, body: bytes, now: datetime
    ) -> Admitted:
        """`decide(connection, settings, request, body, now)` the admission, then settle its draws, on an
        engine's connection awaited on the loop."""

        def deciding(connection: Connection) -> Admitted:
            return _settled(connection, decide(connection, self.settings, request, body, now), now)

        async with self.db.statements_on_loop() as connection:
            return await connection.run_sync(deciding)

    def _admit_one_writer(self, request: HttpMessage, body: bytes, route_kind: str) -> Admitted:
        now = self.clock.now()
        with self.db.relaxed_connection() as connection:
            caller = authenticate(connection, self.settings, request, body, now).caller
            try:
                spend_all(
                    connection, rate_draws(self.settings, caller.agency_id, caller.kid, route_kind), now
                )
            except RateLimited as refusal:
                return caller, refusal
            return caller, None


def _settled(connection: Connection, admission: Admission, now: datetime) -> Admitted:
    """The caller, with the refusal of its rate limits if a draw was short (the others given back)."""
    try:
        settle(connection, admission.draws, admission.left, now)
    except RateLimited as refusal:
        return admission.caller, refusal
    return admission.caller, None
