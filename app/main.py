"""create_app(settings): the FastAPI application with its secure channel, routers and error handlers."""

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from app import __version__
from app.api import (
    admin,
    audit,
    cases,
    cooperation,
    crises,
    directory,
    feed,
    intake,
    matching,
    practices,
    public,
    record_sharing,
    records,
    session,
    stats,
    webhooks,
)
from app.api.channel import PUBLIC_PATHS, SecureChannel
from app.api.openapi import customise_openapi
from app.api.pagination import CursorCodec
from app.api.problems import install_problem_handlers
from app.api.route_index import RouteIndex
from app.clock import Clock, SystemClock
from app.config import ConfigurationError, Settings
from app.crypto.jwe import JweCodec
from app.crypto.keystore import load_server_keys
from app.crypto.storage_keys import load_storage_keys, storage_key_source
from app.db import Database
from app.logs import configure_logging
from app.scheduler import Scheduler, jobs_with_keys
from app.services.events.delivery import Deliverer
from app.services.events.outbox import EMITTED, NOTIFY_CHANNEL
from app.services.events.signal import EventSignal
from app.services.vault import Vault
from app.services.vault.custody import verify_storage_keys

log = logging.getLogger("kix")


def create_app(
    settings: Settings, *, database: Database | None = None, clock: Clock | None = None
) -> FastAPI:
    """The app. `clock` is the time every service reads (tests pass a settable one)."""
    configure_logging(settings.log_level)
    if settings.is_production and settings.allow_plaintext:
        raise ConfigurationError(
            "KIX_ALLOW_PLAINTEXT is for development only; refusing to start in production"
        )
    settings.check_file_modes()
    server_key, created = load_server_keys(settings.keys_dir, create=not settings.is_production)
    if created:
        log.warning("created a new server key in %s (development only)", settings.keys_dir)
    if settings.allow_plaintext:
        log.warning("PLAINTEXT BODIES ALLOWED: KIX_ALLOW_PLAINTEXT=true; never do this outside development")
    db = database or Database(settings.database_url)
    storage_keys, storage_created = load_storage_keys(settings.keys_dir, create=not settings.is_production)
    if storage_created:
        log.warning("created new storage keys in %s (development only)", settings.keys_dir)
    verify_storage_keys(db, storage_keys)

    clock = clock or SystemClock()
    vault = Vault(storage_keys, storage_key_source(settings.keys_dir))
    scheduler = Scheduler(db, settings, clock, jobs_with_keys(server_key))
    signal = EventSignal()
    db.after_commit.append(lambda info: signal.notify() if info.get(EMITTED) else None)

    app = FastAPI(
        title="KIX - Kidnapping Information eXchange",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(
            settings, scheduler, signal, lambda: Deliverer(db, settings, server_key, vault, clock)
        ),
    )
    app.state.settings = settings
    app.state.db = db
    app.state.server_key = server_key
    app.state.clock = clock
    app.state.scheduler = scheduler
    app.state.event_signal = signal
    app.state.vault = vault
    app.state.cursors = CursorCodec(server_key.derive_secret(b"kix pagination cursors"))
    install_problem_handlers(app)
    # The hot paths first, since a request is matched against the routes in order: the change feed
    # (polled by every agency system), then the records (most of the traffic). Sharing routes before the
    # records' own: /v1/alerts/notices must not be taken for /v1/alerts/{record_id}. No other router has
    # a path that one of these templates would match first (tests/api/test_routes_order.py).
    routers = [feed.router, *record_sharing.routers, *records.routers, public.router, session.router]
    routers += [admin.router, matching.router, webhooks.router, cooperation.router, crises.router]
    routers += [directory.router, intake.router, audit.router, cases.router, stats.router, practices.router]
    for router in routers:
        _add_routes(app, router)
    app.router.middleware_stack = RouteIndex(app.router)
    app.add_middleware(
        SecureChannel,
        settings=settings,
        db=db,
        server_key=server_key,
        jwe=JweCodec(max_bytes=settings.max_body_bytes * 2),
        clock=clock,
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = customise_openapi(schema, app.routes, PUBLIC_PATHS)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add `router`'s routes to the app's own list, as `@app.get` would. FastAPI's include_router keeps
    an included router as one entry and, for each request, walks every route of every router before the
    one that matches with bookkeeping of its own, then walks the matching router again to dispatch: on
    this machine about 300 us to reach /v1/whoami, more than the whole answer of a bare FastAPI app.
    Held by the app itself, each route costs one regex match. The routers set only a prefix and tags,
    which their routes already carry (APIRouter.add_api_route applies them), so nothing else differs."""
    app.router.routes.extend(router.routes)


def _lifespan(
    settings: Settings, scheduler: Scheduler, signal: EventSignal, deliverer: Callable[[], Deliverer]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the API while it serves: the periodic jobs and webhook deliveries (unless
    `kix worker` runs them) and, on PostgreSQL, the listener that wakes feed readers and the deliverer
    when another node writes events."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        background = []
        signal.listen(settings.database_url, NOTIFY_CHANNEL)
        if settings.scheduler:
            sender = deliverer()
            background = [
                threading.Thread(
                    target=scheduler.run_forever, args=(stop,), name="kix-scheduler", daemon=True
                ),
                threading.Thread(
                    target=sender.run_forever, args=(stop, signal), name="kix-webhooks", daemon=True
                ),
            ]
            for thread in background:
                thread.start()
        yield
        stop.set()
        signal.close()
        for thread in background:
            thread.join(timeout=10)

    return lifespan


DESCRIPTION = """\
The exchange through which member-state agencies share kidnapping alerts, suspect records and
proceeds-tracing leads.

**Every call but the public ones is signed and encrypted.** Requests carry an RFC 9421 signature
(alg ed25519, tag "kix-request", label "kix") covering "@method", "@target-uri", "kix-actor", with a
body "content-type" and "content-digest" (RFC 9530, sha-256), and whenever the request carries them
"accept", "if-match", "if-none-match" and "idempotency-key"; parameters created, expires, nonce, keyid,
alg and tag are required. Covered values are ASCII. A signature that does not verify under a registered
key is `signature-invalid` whatever the key id; a key's status is told only to requests it signed.
Bodies travel as JWE compact serialisations (`application/jose`,
ECDH-ES+A256KW / A256GCM) to the server's X25519 key, with `skid` naming the signing key. Responses are
signed by the server (tag "kix-response") over "@status", "content-type", "content-digest" and the
request's "@method", "@target-uri", "signature" and "signature-input" (`;req`), and encrypted to the
calling key's X25519 key. The server's keys are at `/.well-known/kix-keys`.

The JSON schemas below describe the plaintext inside the JWE. Errors are RFC 9457 problem details;
`components.schemas.ProblemType` lists every problem type.
"""
