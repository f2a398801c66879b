"""Blind indexes (the CipherSweet idea): HMAC-SHA256 under an index key, separate from the master key,
over a normalised value, so equal values can be found without storing them."""

import hashlib
import hmac


def blind_index(index_key: bytes, term: str, normalised_value: str) -> str:
    """A hex digest naming (term, value); the term separates domains, so a passport number and a
    phone number that happen to be equal do not collide."""
    message = term.encode() + b"\x1f" + normalised_value.encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()
