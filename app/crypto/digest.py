"""RFC 9530 Content-Digest: create the field for a body and check a received one."""

import hashlib
import hmac

import http_sf

from app.crypto import structured

# Only the algorithms RFC 9530 marks "standard"; the insecure ones (md5, sha, crc32...) are ignored.
_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class DigestError(ValueError):
    """The Content-Digest field is malformed, names no usable algorithm, or does not match the body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The Content-Digest field value for `body`, e.g. ``sha-256=:X48E9q...=:``."""
    value = _ALGORITHMS[algorithm](body).digest()
    return f"{structured.key(algorithm)}={structured.byte_sequence(value)}"


def verify_content_digest(field_value: str, body: bytes) -> None:
    """Raise DigestError unless every known digest in the field matches `body` (and at least one is known)."""
    try:
        parsed = http_sf.parse(field_value.encode("latin-1"), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, UnicodeEncodeError) as exc:
        raise DigestError("malformed Content-Digest field") from exc
    assert isinstance(parsed, dict)  # noqa: S101 - tltype="dictionary" guarantees it
    checked = 0
    for name, member in parsed.items():
        value = member[0] if isinstance(member, tuple) else None
        algorithm = _ALGORITHMS.get(name)
        if algorithm is None:
            continue
        if not isinstance(value, bytes):
            raise DigestError("Content-Digest value is not a byte sequence")
        if not hmac.compare_digest(algorithm(body).digest(), value):
            raise DigestError("Content-Digest does not match the body")
        checked += 1
    if not checked:
        raise DigestError("Content-Digest names no supported algorithm (sha-256 or sha-512)")
