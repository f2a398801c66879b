"""Dependencies every router uses: the request's session, the checked caller, and the app's services
(settings, vault, cursors, clock), typed, so no route reaches into `request.app.state` itself.

Those that only read the app's state are `async def` although they do no I/O: FastAPI runs a plain `def`
dependency in a worker thread, and each hop there and back (about 80 us here) cost more than the
dependency; a create used four of them. get_session stays a plain generator: opening a transaction may
wait for a lock, which must never block the event loop. The most called routes await theirs on the loop
instead, where a wait blocks nothing (in_request_transaction)."""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.api.pagination import CursorCodec
from app.clock import Clock
from app.config import Settings
from app.db import Database
from app.errors import Forbidden, Unauthenticated
from app.schemas.common import Scope
from app.services.audit.context import RequestAudit, route_template, success_status
from app.services.audit.log import append as append_entry
from app.services.events.signal import EventSignal
from app.services.identity.authentication import Caller
from app.services.vault import Vault
from app.write_behind import hold_writes

Answer = TypeVar("Answer")


def _database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_database(request: Request) -> Database:
    return _database(request)


def _writes(request: Request) -> bool:
    return request.method not in ("GET", "HEAD")


def _entry_to_write(request: Request, database: Database, read_entry: bool) -> RequestAudit | None:
    """The request's audit entry if its transaction writes it (request_transaction says when)."""
    audit: RequestAudit | None = request.scope.get("state", {}).get("audit")
    return audit if _writes(request) or (read_entry and not database.one_writer) else None


@contextmanager
def _entry_before_commit(request: Request, session: Session, entry: RequestAudit | None) -> Iterator[Session]:
    yield session
    if entry is not None:
        session.flush()  # the records it changes are noted as touched at the flush
        append_entry(session, entry.draft(route_template(request.scope), success_status(request.scope)))


@contextmanager
def request_transaction(request: Request, *, read_entry: bool = False) -> Iterator[Session]:
    """One transaction per request: committed when the block ends, rolled back when it raises. A request
    that writes has its audit entry written in this transaction, so the change and its entry commit
    together (the secure channel writes the entry of any other request, once its answer is known).

    `read_entry`, for a read whose whole answer is made inside the block: on PostgreSQL its entry is
    written in the transaction too, where it costs one statement in place of the channel's own, and no
    worker thread of its own. On SQLite a read transaction stays a read (SQLite refuses to turn one into
    a write once another writer came first), and the channel writes the entry."""
    database = _database(request)
    entry = _entry_to_write(request, database, read_entry)
    with (
        database.transaction(write=_writes(request)) as session,
        _entry_before_commit(request, session, entry),
    ):
        yield session
    if entry is not None:
        entry.written = True


async def in_request_transaction(
    request: Request, work: Callable[[Session], Answer], *, read_entry: bool = False
) -> Answer:
    """`work` done in the request's transaction (request_transaction), from an `async def` route: on
    PostgreSQL awaited on the event loop, its statements awaited there and its code run as in a worker
    thread (AsyncSession.run_sync), so the route costs no hop to a worker thread and back (app.db_loop);
    on SQLite in a worker thread, where writers take turns (a transaction waiting for the write lock
    must not hold up the event loop, which the transaction holding it may need to finish)."""
    database = _database(request)
    if database.one_writer:

        def in_thread() -> Answer:
            with request_transaction(request, read_entry=read_entry) as session:
                return work(session)

        return await anyio.to_thread.run_sync(in_thread)
    entry = _entry_to_write(request, database, read_entry)

    def in_transaction(session: Session) -> Answer:
        with database.committing(session), _entry_before_commit(request, session, entry):
            hold_writes(session)  # its rows, change and entry go in one round trip with the COMMIT
            answer = work(session)
        if entry is not None:
            entry.written = True
        return answer

    async with database.session_on_loop() as session:
        return await session.run_sync(in_transaction)


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction (request_transaction), for a route. The most called routes use
    in_request_transaction instead: as a dependency it is opened and closed in worker threads of its own,
    two hops (about 80 us each) more per request than a `def` route's own."""
    with request_transaction(request) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


async def get_cursors(request: Request) -> CursorCodec:
    cursors: CursorCodec = request.app.state.cursors
    return cursors


async def get_signal(request: Request) -> EventSignal:
    signal: EventSignal = request.app.state.event_signal
    return signal


async def get_now(request: Request) -> datetime:
    """The request's moment, from the app's clock: one instant for everything a request writes."""
    clock: Clock = request.app.state.clock
    return clock.now()


# scope="function": commit before the response is sent, so a failed commit can not follow a 2xx.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
VaultDep = Annotated[Vault, Depends(get_vault)]
CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]
Now = Annotated[datetime, Depends(get_now)]
SignalDep = Annotated[EventSignal, Depends(get_signal)]

SCOPES_ATTRIBUTE = "__kix_scopes__"


def require(*scopes: Scope) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency that returns the authenticated caller and refuses (403) keys lacking `scopes`.

    The secure channel has already authenticated the request; a route reached without a caller means
    the route is mounted outside the channel, and is refused as unauthenticated.
    """

    # async although it does no I/O: FastAPI would otherwise hop to a worker thread to run it.
    async def caller_with_scopes(request: Request) -> Caller:
        caller: Caller | None = request.scope.get("state", {}).get("caller")
        if caller is None:
            raise Unauthenticated("this route needs a signed request")
        missing = [scope.value for scope in scopes if scope.value not in caller.scopes]
        if missing:
            raise Forbidden(f"the key lacks scope {', '.join(missing)}")
        return caller

    setattr(caller_with_scopes, SCOPES_ATTRIBUTE, tuple(scope.value for scope in scopes))
    return caller_with_scopes


AnyCaller = Annotated[Caller, Depends(require())]
AdminCaller = Annotated[Caller, Depends(require(Scope.ADMIN))]
