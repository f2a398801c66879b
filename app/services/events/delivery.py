"""Delivering events to webhook endpoints, from the outbox: at least once, in each endpoint's feed order,
retried with exponential backoff and jitter, and dead after the configured number of attempts (the
endpoint is then paused, flagged, until the agency redelivers).

Each POST is signed by the server key (RFC 9421, tag kix-webhook, covering the method, target, body
digest and the event id) and its body is a JWE to the encryption key the endpoint was registered with,
like a response. Only one node serves an endpoint at a time (a lease on its row), so order holds with
any number of workers; HTTP is never done inside a database transaction.
"""

import json
import logging
import random
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.crypto.encoding import b64url_decode
from app.crypto.jwe import MEDIA_TYPE as JOSE
from app.crypto.jwe import JweCodec
from app.crypto.keys import KeyPair
from app.crypto.profile import EVENT_ID_HEADER, sign_webhook
from app.db import Database
from app.ids import uuid7
from app.logs import log_failure
from app.models import Agency, Credential, Event, WebhookDelivery, WebhookEndpoint
from app.schemas.events import EventType
from app.services.events.fanout import fan_out
from app.services.events.feed import EVENT_COLUMNS, items_of
from app.services.events.webhooks import ACTIVE, PAUSED, UnsafeAddress, resolve
from app.services.vault import Vault

log = logging.getLogger("kix.webhooks")
LEASE = timedelta(seconds=60)
BATCH = 200


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    event_id: str
    body: bytes
    due: bool


@dataclass(frozen=True)
class Outcome:
    delivery_id: str
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Exponential, capped at an hour, with jitter so endpoints that failed together do not retry together."""
    seconds = min(3600.0, base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not secrecy


class Deliverer:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        server_key: KeyPair,
        vault: Vault,
        clock: Clock,
        *,
        holder: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.server_key = server_key
        self.vault = vault
        self.clock = clock
        self.holder = holder or uuid.uuid4().hex
        verify: Any = (
            ssl.create_default_context(cafile=settings.webhook_ca_file) if settings.webhook_ca_file else True
        )
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds, connect=2.0),
            follow_redirects=False,
            verify=verify,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
        )
        self.jwe = JweCodec()

    # ------------------------------------------------------------ the loop
    def run_once(self) -> int:
        """Serve every active endpoint this node can lease; how many deliveries were attempted."""
        fan_out(self.db, self.vault)
        with self.db.transaction(write=False) as session:
            ids = list(session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.status == ACTIVE)))
        attempted = 0
        for endpoint_id in ids:
            if self._lease(endpoint_id):
                try:
                    attempted += self._serve(endpoint_id)
                except Exception as exc:  # noqa: BLE001 - one endpoint's failure must not stop the others
                    log_failure(log, "delivery round failed", exc, endpoint=endpoint_id)
                finally:
                    self._release(endpoint_id)
        return attempted

    def _lease(self, endpoint_id: str) -> bool:
        now = self.clock.now()
        with self.db.transaction() as session:
            taken = session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id == endpoint_id,
                    WebhookEndpoint.status == ACTIVE,
                    or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                )
                .values(lease_holder=self.holder, lease_until=now + LEASE)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def _release(self, endpoint_id: str) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_holder == self.holder)
                .values(lease_holder=None, lease_until=None)
            )

    def _serve(self, endpoint_id: str) -> int:
        now = self.clock.now()
        with self.db.transaction() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            key = session.get(Credential, endpoint.encrypt_kid) if endpoint else None
            if endpoint is None or key is None:
                return 0
            scopes = frozenset(key.scopes) & frozenset(
                session.scalars(select(Agency.scopes).where(Agency.id == endpoint.agency_id)).one()
            )
            if key.revoked_at is not None:
                endpoint.status = PAUSED
                log.warning(
                    "webhook endpoint paused: its encryption key is revoked", extra={"endpoint": endpoint.id}
                )
                return 0
            self._queue(session, endpoint, scopes, now)
            attempts = self._prepare(session, endpoint, key, scopes, now)
            url = endpoint.url
        outcomes: list[Outcome] = []
        for attempt in attempts:
            if not attempt.due:
                break
            outcome = self._post(url, attempt)
            outcomes.append(outcome)
            if not outcome.delivered:
                break  # the endpoint's order holds: nothing after a failed event goes first
        self._record(endpoint_id, outcomes)
        return len(outcomes)

    # ------------------------------------------------------------ queueing
    def _queue(
        self, session: Session, endpoint: WebhookEndpoint, scopes: frozenset[str], now: datetime
    ) -> None:
        """Turn the agency's new events (after the endpoint's cursor) into pending deliveries, and move the
        cursor past them."""
        query = (
            select(Event)
            .where(
                Event.agency_id == endpoint.agency_id,
                tuple_(Event.txid, Event.id) > tuple_(endpoint.cursor_txid, endpoint.cursor_id),
            )
            .order_by(Event.txid, Event.id)
            .limit(BATCH)
        )
        for event in session.scalars(query):
            endpoint.cursor_txid, endpoint.cursor_id = event.txid, event.id
            if _wanted(endpoint, event, scopes):
                session.add(
                    WebhookDelivery(
                        id=uuid7(),
                        endpoint_id=endpoint.id,
                        event_row=event.id,
                        state="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        session.flush()

    def _prepare(
        self,
        session: Session,
        endpoint: WebhookEndpoint,
        key: Credential,
        scopes: frozenset[str],
        now: datetime,
    ) -> list[Attempt]:
        rows = session.execute(
            select(WebhookDelivery.id.label("delivery_id"), WebhookDelivery.next_attempt_at, *EVENT_COLUMNS)
            .join(Event, Event.id == WebhookDelivery.event_row)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")
            .order_by(WebhookDelivery.event_row)
            .limit(BATCH)
        ).all()
        recipient = X25519PublicKey.from_public_bytes(b64url_decode(key.encrypt_public))
        attempts = []
        for row, item in zip(rows, items_of(session, self.vault, scopes, rows), strict=True):
            document = item.document() | {"occurred_at": item.occurred_at.isoformat()}
            plaintext = json.dumps(document, separators=(",", ":")).encode()
            token = self.jwe.encrypt(
                plaintext,
                recipient,
                recipient_kid=key.kid,
                sender_kid=self.server_key.kid,
                content_type="json",
            )
            due = row.next_attempt_at <= now
            attempts.append(Attempt(row.delivery_id, item.event_id, token.encode("ascii"), due))
        return attempts

    # ------------------------------------------------------------ sending
    def _post(self, url: str, attempt: Attempt) -> Outcome:
        private_allowed = not self.settings.is_production
        try:
            address = resolve(url, private_allowed=private_allowed)[0]
        except UnsafeAddress as exc:
            return Outcome(attempt.delivery_id, None, f"refused: {exc}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        headers = {"content-type": JOSE, EVENT_ID_HEADER: attempt.event_id, "host": parts.netloc}
        headers |= sign_webhook(
            target_uri=url,
            headers=headers,
            body=attempt.body,
            keyid=self.server_key.kid,
            private_key=self.server_key.signing,
            now=int(self.clock.now().timestamp()),
        )
        # Connect to the address just checked, naming the host for TLS: a DNS answer changed since the
        # check can not send the delivery anywhere else.
        pinned = httpx.URL(url).copy_with(host=address)
        try:
            response = self.http.post(
                pinned, content=attempt.body, headers=headers, extensions={"sni_hostname": host}
            )
        except httpx.HTTPError as exc:
            return Outcome(attempt.delivery_id, None, f"{type(exc).__name__}: {exc}"[:300])
        error = None if 200 <= response.status_code < 300 else f"answered {response.status_code}"
        return Outcome(attempt.delivery_id, response.status_code, error)

    def _record(self, endpoint_id: str, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        now = self.clock.now()
        delivered: dict[int, list[str]] = {}
        for outcome in outcomes:
            if outcome.delivered and outcome.status is not None:
                delivered.setdefault(outcome.status, []).append(outcome.delivery_id)
        with self.db.transaction() as session:
            for status, ids in delivered.items():  # one statement per status: a round is mostly 200s
                session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(ids))
                    .values(
                        attempts=WebhookDelivery.attempts + 1,
                        last_status=status,
                        last_error=None,
                        state="delivered",
                        delivered_at=now,
                    )
                )
            for outcome in outcomes:
                if not outcome.delivered:
                    self._record_failure(session, endpoint_id, outcome, now)

    def _record_failure(self, session: Session, endpoint_id: str, outcome: Outcome, now: datetime) -> None:
        delivery = session.get(WebhookDelivery, outcome.delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.last_status = outcome.status
        delivery.last_error = outcome.error
        if delivery.attempts >= self.settings.webhook_max_attempts:
            delivery.state = "dead"
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is not None and endpoint.status == ACTIVE:
                endpoint.status = PAUSED
            log.warning("webhook delivery dead; endpoint paused", extra={"endpoint": endpoint_id})
        else:
            wait = backoff(delivery.attempts, self.settings.webhook_retry_base_seconds)
            delivery.next_attempt_at = now + wait

    def run_forever(self, stop: Any, wake: Any, idle_seconds: float = 1.0) -> None:
        """Deliver until `stop` is set; when idle, wait for `wake` (new events) or a second."""
        while not stop.is_set():
            try:
                attempted = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the loop outlives any failure, an outage included
                log_failure(log, "delivery loop failed", exc)
                attempted = 0
            if not attempted:
                wake.wait_blocking(idle_seconds)

    def close(self) -> None:
        self.http.close()


def _wanted(endpoint: WebhookEndpoint, event: Event, scopes: frozenset[str]) -> bool:
    if event.type == EventType.WEBHOOK_TEST.value:
        return event.data.get("endpoint_id") == endpoint.id
    if event.scope is not None and event.scope not in scopes:
        return False
    return not endpoint.types or event.type in endpoint.types
