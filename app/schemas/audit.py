"""The audit log on the wire: entries, signed tree heads and Merkle proofs (RFC 9162). Hashes and
signatures are base64url without padding."""

from datetime import datetime

from pydantic import BaseModel, Field


class TreeHeadRead(BaseModel):
    size: int = Field(description="How many entries the tree covers")
    root: str = Field(description="The Merkle tree hash of those entries (RFC 9162 2.1.1)")
    signed_at: str = Field(description="When the server signed the head (ISO 8601, microseconds, UTC)")
    kid: str = Field(description="The server key that signed it (see /.well-known/kix-keys)")
    signature: str = Field(
        description="Ed25519 over 'kix-audit-tree-head\\n' followed by the canonical JSON (sorted keys, "
        'no spaces) of {"root", "signed_at", "size"}'
    )


class AuditEntryRead(BaseModel):
    seq: int | None = Field(description="The entry's place in the tree; null until it is sequenced")
    at: datetime
    agency: str
    kid: str
    actor: str
    method: str
    route: str
    status: int
    records: list[str]
    request_id: str
    signature_sha256: str = Field(description="SHA-256 (hex) of the request's Signature header")


class AuditEntryList(BaseModel):
    items: list[AuditEntryRead]
    cursor: str | None = Field(description="Pass as `after` for the next page; null at the end")


class InclusionProofRead(BaseModel):
    entry: AuditEntryRead
    leaf_hash: str = Field(description="SHA-256(0x00 || the entry's canonical JSON)")
    tree_head: TreeHeadRead
    proof: list[str] = Field(description="The audit path from the leaf to the head's root (RFC 9162 2.1.3)")


class ConsistencyProofRead(BaseModel):
    first: int = Field(description="The older tree size")
    second: int = Field(description="The newer tree size")
    proof: list[str] = Field(description="RFC 9162 2.1.4 consistency proof between the two sizes")


class AccessLogEntry(BaseModel):
    at: datetime
    agency: str
    actor: str
    method: str
    route: str
    status: int
    seq: int | None


class AccessLogRead(BaseModel):
    record_id: str
    items: list[AccessLogEntry]
