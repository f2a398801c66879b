"""Holding the operator to account from the SDK: `client.audit.tree_head()` fetches the server's signed
tree head, checks its signature, and checks that it extends the last head this agency saw (a consistency
proof, RFC 9162 2.1.4), so a log rewritten or forked by the operator is caught by any agency.
`client.audit.prove(seq)` checks that an entry about the caller is in that tree.

The last head seen is kept in a store: in memory by default, `FileHeadStore(path)` to survive restarts.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.crypto.audit_format import entry_content, head_message
from app.crypto.encoding import b64url_decode
from app.crypto.merkle import leaf_hash, verify_consistency, verify_inclusion


class AuditVerificationError(Exception):
    """The server's audit log failed a check: a bad signature, a head that does not extend the last one
    seen (a rewritten or forked history), or a proof that does not verify."""


class HeadStore(Protocol):
    def load(self) -> dict[str, Any] | None: ...

    def save(self, head: dict[str, Any]) -> None: ...


class MemoryHeadStore:
    def __init__(self) -> None:
        self.head: dict[str, Any] | None = None

    def load(self) -> dict[str, Any] | None:
        return self.head

    def save(self, head: dict[str, Any]) -> None:
        self.head = head


class FileHeadStore:
    """The last head seen, as JSON in a file (written whole, then renamed into place)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        loaded: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return loaded

    def save(self, head: dict[str, Any]) -> None:
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(head, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)


def check_head_signature(head: dict[str, Any], server_keys: dict[str, Ed25519PublicKey]) -> None:
    key = server_keys.get(str(head.get("kid")))
    if key is None:
        raise AuditVerificationError(
            f"the tree head is signed by {head.get('kid')!r}, not a pinned server key"
        )
    try:
        key.verify(
            b64url_decode(head["signature"]), head_message(head["size"], head["root"], head["signed_at"])
        )
    except (InvalidSignature, KeyError, ValueError) as exc:
        raise AuditVerificationError("the tree head's signature does not verify") from exc


def entry_bytes(entry: dict[str, Any]) -> bytes:
    """The bytes the entry's leaf hashes, rebuilt from the entry as the API shows it."""
    at = datetime.fromisoformat(entry["at"]).astimezone(UTC).isoformat(timespec="microseconds")
    return entry_content(
        entry["seq"],
        at,
        entry["agency"],
        entry["kid"],
        entry["actor"],
        entry["method"],
        entry["route"],
        entry["status"],
        entry["records"],
        entry["request_id"],
        entry["signature_sha256"],
    )


class _Requests(Protocol):
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> Any: ...


class AuditLog:
    def __init__(
        self, client: _Requests, server_keys: dict[str, Ed25519PublicKey], store: HeadStore | None = None
    ) -> None:
        self._client = client
        self._keys = server_keys
        self.store: HeadStore = store or MemoryHeadStore()

    def tree_head(self) -> dict[str, Any]:
        """The server's latest signed head, checked against the last one seen, then kept."""
        head = self._client.request("GET", "/v1/audit/tree-head")
        self.accept(head)
        return dict(head)

    def accept(self, head: dict[str, Any]) -> None:
        """Check `head` (its signature, and that it extends the last head seen) and keep it."""
        check_head_signature(head, self._keys)
        last = self.store.load()
        if last is not None:
            self._check_extends(last, head)
        if last is None or head["size"] >= last["size"]:
            self.store.save(head)

    def _check_extends(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        first, second = int(old["size"]), int(new["size"])
        if first > second:
            first, second, old, new = second, first, new, old  # an older head: it must be a prefix
        if first == second:
            if old["root"] != new["root"]:
                raise AuditVerificationError(
                    f"two different signed heads of size {first}: the log was forked"
                )
            return
        answer = self._client.request(
            "GET", "/v1/audit/proofs/consistency", params={"from": first, "to": second}
        )
        proof = [b64url_decode(digest) for digest in answer["proof"]]
        old_root, new_root = b64url_decode(old["root"]), b64url_decode(new["root"])
        if not verify_consistency(first, second, old_root, new_root, proof):
            raise AuditVerificationError(
                f"the tree of size {second} does not extend the one of size {first}: history was rewritten"
            )

    def prove(self, seq: int) -> dict[str, Any]:
        """Entry `seq` (about the caller), proven to be in a signed head that extends the last one seen."""
        answer = self._client.request("GET", "/v1/audit/proofs/inclusion", params={"leaf": seq})
        head = answer["tree_head"]
        self.accept(head)
        entry = answer["entry"]
        leaf = leaf_hash(entry_bytes(entry))
        if entry.get("seq") != seq or leaf != b64url_decode(answer["leaf_hash"]):
            raise AuditVerificationError(f"the entry shown is not the one whose leaf is proven for {seq}")
        proof = [b64url_decode(digest) for digest in answer["proof"]]
        if not verify_inclusion(leaf, seq, int(head["size"]), proof, b64url_decode(head["root"])):
            raise AuditVerificationError(f"entry {seq} is not in the signed tree of size {head['size']}")
        return dict(answer["entry"])
