"""Time-ordered record ids: UUID version 7 (RFC 9562), as strings."""

import secrets
import time
import uuid


def uuid7() -> str:
    milliseconds = time.time_ns() // 1_000_000
    random_bits = secrets.randbits(74)
    value = (milliseconds & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | (random_bits >> 62) << 64  # version 7, then 12 random bits
    value |= 0b10 << 62 | (random_bits & ((1 << 62) - 1))  # RFC variant, then 62 random bits
    return str(uuid.UUID(int=value))
