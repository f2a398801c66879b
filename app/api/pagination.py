"""Opaque keyset cursors, authenticated with an HMAC so a client can neither forge nor alter one, and
bound to the list and filters that issued them."""

import hashlib
import hmac
import json
from typing import Any

from app.crypto.encoding import b64url_decode, b64url_encode
from app.errors import InvalidCursor

_TAG_BYTES = 16


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, scope: str, position: list[Any]) -> str:
        payload = json.dumps({"s": scope, "p": position}, separators=(",", ":")).encode()
        return b64url_encode(payload + self._tag(payload))

    def decode(self, cursor: str, scope: str) -> list[Any]:
        """The position stored in `cursor`; 400 unless this server issued it for exactly `scope`."""
        try:
            raw = b64url_decode(cursor)
        except ValueError as exc:
            raise InvalidCursor("the cursor is not one this list issued") from exc
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if len(raw) <= _TAG_BYTES or not hmac.compare_digest(tag, self._tag(payload)):
            raise InvalidCursor("the cursor is not one this list issued")
        data = json.loads(payload)
        if data.get("s") != scope:
            raise InvalidCursor("the cursor belongs to another list or other filters")
        position: list[Any] = data["p"]
        return position


def filter_scope(name: str, **filters: Any) -> str:
    """A stable name for a list and its filters, so a cursor only continues the listing that issued it."""
    return (
        name
        + ":"
        + hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]
    )
