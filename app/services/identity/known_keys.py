"""The public halves of the keys a node has met, so that it can verify a request's signature before it asks
the database anything (authentication.OneStatement). Never a key's status: that is read on every request."""

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownKey:
    """What never changes about a registered key: its public signing half and its agency."""

    sign_public: str
    agency_id: str


class KnownKeys:
    """The keys this node has read, by key id, so that a request's signature can be verified before the
    database is asked anything (OneStatement). Only what the database said is kept, and each request's
    statement compares it with the key's row again: a stale entry can refuse one request (and is then
    forgotten), never admit one. A key's status is never kept here."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._keys: dict[str, KnownKey] = {}
        self._lock = threading.Lock()

    def get(self, kid: str) -> KnownKey | None:
        return self._keys.get(kid)

    def remember(self, kid: str, key: KnownKey) -> None:
        with self._lock:
            if kid not in self._keys and len(self._keys) >= self._size:
                del self._keys[next(iter(self._keys))]  # the longest known
            self._keys[kid] = key

    def forget(self, kid: str) -> None:
        with self._lock:
            self._keys.pop(kid, None)
