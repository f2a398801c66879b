"""Base64url without padding (RFC 7515 section 2), as JOSE uses it."""

import base64
import binascii


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode strictly: only the url-safe alphabet, no padding characters."""
    if "=" in text:
        raise ValueError("base64url value must not be padded")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("malformed base64url value") from exc
