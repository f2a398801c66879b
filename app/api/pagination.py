"""Opaque keyset cursors: base64url JSON naming the list they belong to and the last key seen."""

import json

from app.crypto.encoding import b64url_decode, b64url_encode
from app.errors import KixError


def encode_cursor(kind: str, last_key: str) -> str:
    return b64url_encode(json.dumps({"k": kind, "after": last_key}, separators=(",", ":")).encode())


def decode_cursor(cursor: str, kind: str) -> str:
    try:
        data = json.loads(b64url_decode(cursor))
    except ValueError as exc:
        raise KixError("the cursor is not one this list issued", slug="invalid-cursor") from exc
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("after"), str):
        raise KixError("the cursor is not one this list issued", slug="invalid-cursor")
    return data["after"]
