"""Receiving KIX webhooks in any framework: `verify_webhook` checks a delivery and returns its event.

event = verify_webhook(request.headers, request.body, server_keys, agency_key,
                       url="https://desk.example.org/kix/events", seen=already_processed)
"""

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.client.codec import ServerKeys
from app.crypto.digest import DigestError, verify_content_digest
from app.crypto.httpsig import HttpMessage, SignatureError, find_signature, verify
from app.crypto.jwe import JweCodec, JweError
from app.crypto.keys import KeyPair
from app.crypto.profile import EVENT_ID_HEADER, WEBHOOK_TAG, check_webhook_profile

WEBHOOK_MAX_AGE_SECONDS = 300


class WebhookRejected(Exception):
    """The delivery is not a genuine, fresh, first delivery of a KIX event to this agency."""


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    server_keys: dict[str, Any],
    agency_key: KeyPair,
    *,
    url: str,
    method: str = "POST",
    seen: Callable[[str], bool] | None = None,
    max_age: int = WEBHOOK_MAX_AGE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The event a webhook delivery carries, or WebhookRejected.

    `url` is the endpoint's URL as registered (the signature covers it). `seen(event_id)` answers True
    for an event already processed (and remembers it otherwise): a redelivery is refused, so processing
    stays exactly once on top of KIX's at-least-once delivery.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    pinned = ServerKeys.from_jwks(server_keys)
    try:
        received = find_signature(lowered.get("signature-input"), lowered.get("signature"), tag=WEBHOOK_TAG)
        check_webhook_profile(received)
        public_key = pinned.signing.get(received.params["keyid"])
        if public_key is None:
            raise WebhookRejected("signed by a key that is not pinned")
        verify(HttpMessage(headers=lowered, method=method, target_uri=url), received, public_key)
        verify_content_digest(lowered.get("content-digest", ""), body)
    except (SignatureError, DigestError) as exc:
        raise WebhookRejected(f"the signature does not hold: {exc}") from exc
    age = (time.time() if now is None else now) - received.params["created"]
    if abs(age) > max_age:
        raise WebhookRejected("the delivery is too old or from the future")
    try:
        opened = JweCodec().decrypt(body, agency_key.encryption)
    except JweError as exc:
        raise WebhookRejected(f"the body does not open with this key: {exc}") from exc
    if opened.header.get("kid") != agency_key.kid:
        raise WebhookRejected("the body is encrypted to another key")
    event: dict[str, Any] = json.loads(opened.plaintext)
    if event.get("event_id") != lowered.get(EVENT_ID_HEADER):
        raise WebhookRejected("the signed event id is not the body's")
    if seen is not None and seen(event["event_id"]):
        raise WebhookRejected(f"event {event['event_id']} was already delivered")
    return event
