"""ORM models. Importing this package registers every table on Base.metadata (Alembic relies on it)."""

from app.models.agency import Agency, Credential, Group, GroupMember
from app.models.analysis import (
    CaseParticipant,
    CaseRecord,
    CaseReference,
    JointCase,
    Practice,
    PracticeComment,
    TrendCount,
    TrendFact,
)
from app.models.audit import AuditEntry, AuditEntryRecord, AuditNode, AuditTreeHead
from app.models.base import Base
from app.models.cooperation import (
    CooperationRequest,
    CrisisEntry,
    CrisisRoom,
    DirectoryEntry,
    LapseWarning,
    LeadIntake,
    VictimService,
)
from app.models.events import Change, Event, WebhookDelivery, WebhookEndpoint
from app.models.matching import AccessRequest, BlindIndex, Hit, MatchQuery
from app.models.nonce import ClaimedNonce, StorageKeyCheck
from app.models.operations import JobLease, TokenBucket
from app.models.records import (
    Contribution,
    IdempotencyKey,
    Notice,
    NoticeReceipt,
    Record,
    RecordGrant,
    RecordLink,
    RecordRevision,
    RecordView,
    RetentionExtension,
    ShareRequest,
)
from app.models.workflows import WorkflowTransition

__all__ = [
    "CaseParticipant",
    "CaseRecord",
    "CaseReference",
    "JointCase",
    "Practice",
    "PracticeComment",
    "TrendCount",
    "TrendFact",
    "LapseWarning",
    "VictimService",
    "LeadIntake",
    "DirectoryEntry",
    "CrisisRoom",
    "CrisisEntry",
    "CooperationRequest",
    "AccessRequest",
    "AuditEntry",
    "AuditEntryRecord",
    "AuditNode",
    "AuditTreeHead",
    "Agency",
    "BlindIndex",
    "Hit",
    "MatchQuery",
    "Base",
    "ClaimedNonce",
    "Contribution",
    "Credential",
    "Change",
    "Event",
    "Group",
    "GroupMember",
    "IdempotencyKey",
    "JobLease",
    "Notice",
    "NoticeReceipt",
    "Record",
    "RecordGrant",
    "RecordLink",
    "RecordRevision",
    "RecordView",
    "RetentionExtension",
    "ShareRequest",
    "StorageKeyCheck",
    "TokenBucket",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkflowTransition",
]
