"""Webhook endpoints: an agency registers HTTPS URLs and the event types it wants there; KIX delivers
(delivery.py) and keeps a log the agency reads. Outside development an endpoint must be HTTPS and resolve
to public addresses only (no loopback, private, link-local or cloud-metadata address), checked at
registration and again at every delivery, so a DNS answer changed afterwards reaches nothing internal."""

import ipaddress
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.ids import uuid7
from app.models import Event, WebhookDelivery, WebhookEndpoint
from app.schemas.events import EventType
from app.services.events.outbox import emit

ACTIVE, PAUSED, REMOVED = "active", "paused", "removed"


class UnsafeAddress(ValueError):
    """A webhook URL that may not be called: not HTTPS, or not resolving to public addresses only."""


def resolve(url: str, *, private_allowed: bool) -> list[str]:
    """The addresses `url` may be called at, or UnsafeAddress saying why none may."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (private_allowed and parts.scheme == "http"):
        raise UnsafeAddress("the URL must be https")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeAddress("the URL must name a host, without credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise UnsafeAddress(f"{parts.hostname} does not resolve") from exc
    addresses = sorted({str(info[4][0]) for info in found})
    if not private_allowed:
        internal = [address for address in addresses if not ipaddress.ip_address(address).is_global]
        if internal:
            raise UnsafeAddress(f"{parts.hostname} resolves to a non-public address ({internal[0]})")
    return addresses


def _feed_end(session: Session, agency_id: str) -> tuple[int, int]:
    """The position past the agency's committed events: a new endpoint gets what comes after."""
    query = (
        select(Event.txid, Event.id)
        .where(Event.agency_id == agency_id)
        .order_by(Event.txid.desc(), Event.id.desc())
    )
    last = session.execute(query.limit(1)).first()
    return (int(last[0]), int(last[1])) if last else (0, 0)


def register(
    session: Session,
    agency_id: str,
    kid: str,
    actor: str,
    url: str,
    types: Sequence[EventType],
    *,
    private_allowed: bool,
    now: datetime,
) -> WebhookEndpoint:
    try:
        resolve(url, private_allowed=private_allowed)
    except UnsafeAddress as exc:
        raise ValidationFailed(f"url: {exc}") from exc
    txid, row = _feed_end(session, agency_id)
    endpoint = WebhookEndpoint(
        id=uuid7(),
        agency_id=agency_id,
        url=url,
        types=sorted({event_type.value for event_type in types}),
        encrypt_kid=kid,
        status=ACTIVE,
        cursor_txid=txid,
        cursor_id=row,
        created_at=now,
        created_by=actor,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def endpoints(session: Session, agency_id: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.agency_id == agency_id, WebhookEndpoint.status != REMOVED
    )
    return list(session.scalars(query.order_by(WebhookEndpoint.created_at)))


def get_endpoint(
    session: Session, agency_id: str, endpoint_id: str, *, lock: bool = False
) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.agency_id == agency_id,
        WebhookEndpoint.status != REMOVED,
    )
    endpoint = session.scalars(query.with_for_update() if lock else query).first()
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def remove(session: Session, agency_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = get_endpoint(session, agency_id, endpoint_id, lock=True)
    endpoint.status = REMOVED
    session.flush()
    return endpoint


def send_test(session: Session, agency_id: str, endpoint_id: str, now: datetime) -> dict[str, Any]:
    """A webhook.test event, delivered to this endpoint only (and shown in the agency's feed)."""
    endpoint = get_endpoint(session, agency_id, endpoint_id)
    data = {"endpoint_id": endpoint.id}
    event_ids = emit(session, [agency_id], EventType.WEBHOOK_TEST, now=now, data=data)
    return {
        "event_id": event_ids[agency_id],
        "type": EventType.WEBHOOK_TEST.value,
        "occurred_at": now,
        "record_id": None,
        "data": data,
    }


def deliveries(
    session: Session, agency_id: str, endpoint_id: str, state: str | None, limit: int = 100
) -> list[tuple[WebhookDelivery, Event]]:
    """An endpoint's delivery log, newest first."""
    endpoint = get_endpoint(session, agency_id, endpoint_id)
    query = (
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_row)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.event_row.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    return [(delivery, event) for delivery, event in session.execute(query)]


def redeliver(
    session: Session, agency_id: str, endpoint_id: str, delivery_id: str, now: datetime
) -> tuple[WebhookDelivery, Event]:
    """Queue a delivery again; a dead one also resumes its paused endpoint."""
    endpoint = get_endpoint(session, agency_id, endpoint_id, lock=True)
    found = session.execute(
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_row)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)
    ).first()
    if found is None:
        raise NotFound(f"no delivery {delivery_id} of this endpoint")
    delivery, event = found
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.last_error = None
    if endpoint.status == PAUSED:
        endpoint.status = ACTIVE
    session.flush()
    return delivery, event
