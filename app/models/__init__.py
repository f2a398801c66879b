"""ORM models. Importing this package registers every table on Base.metadata (Alembic relies on it)."""

from app.models.agency import Agency, Credential, Group, GroupMember
from app.models.base import Base
from app.models.nonce import ClaimedNonce

__all__ = ["Agency", "Base", "ClaimedNonce", "Credential", "Group", "GroupMember"]
