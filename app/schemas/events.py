"""The event stream on the wire: feed pages, webhook endpoints and their deliveries."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import InputModel


class EventType(StrEnum):
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_WITHDRAWN = "record.withdrawn"
    RECORD_PURGED = "record.purged"
    RECORD_SHARED = "record.shared"  # the owner's consent lets you see a record from now on
    CONTRIBUTION_ADDED = "contribution.added"
    NOTICE_ISSUED = "notice.issued"  # a correction or withdrawal to acknowledge
    NOTICE_ACKNOWLEDGED = "notice.acknowledged"
    HIT_RECORDED = "hit.recorded"  # another agency's query matched one of your records
    SHARE_REQUEST_OPENED = "share_request.opened"
    SHARE_REQUEST_CHANGED = "share_request.changed"  # granted, refused, withdrawn or revoked
    ACCESS_REQUEST_OPENED = "access_request.opened"
    ACCESS_REQUEST_CHANGED = "access_request.changed"
    DEADLINE_WARNING = "deadline.warning"  # a request's deadline approaches, or passed
    COOPERATION_REQUEST_CHANGED = "cooperation_request.changed"  # submitted, acknowledged, executed...
    FREEZE_LAPSING = "freeze.lapsing"  # a freezing order on one of your leads lapses soon
    LEAD_INTAKE_CHANGED = "lead.intake_changed"  # your FIU took up a lead you submitted (private partners)
    CRISIS_CHANGED = "crisis.changed"  # a crisis room opened, joined, given an entry, or closed
    CASE_CHANGED = "case.changed"  # a joint case you are in or invited to: participants, records, links
    KEY_STATUS_CHANGED = "key.status_changed"
    AGENCY_STATUS_CHANGED = "agency.status_changed"
    WEBHOOK_TEST = "webhook.test"


class EventRead(BaseModel):
    event_id: str = Field(description="Unique per event: deliveries of the same event carry the same id")
    type: EventType
    occurred_at: datetime
    record_id: str | None
    data: dict[str, Any] = Field(description="Ids, states and times: never a record's content")
    record: dict[str, Any] | None = Field(
        default=None,
        description="For record events: the record as your agency could read it when the event happened "
        "(null once the record is purged)",
    )


class FeedPage(BaseModel):
    items: list[EventRead]
    cursor: str = Field(description="Pass as `after` for what comes next (the same cursor when nothing did)")


WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000)]


class WebhookCreate(InputModel):
    url: WebhookUrl = Field(description="HTTPS; public addresses only in production")
    types: Annotated[list[EventType], Field(max_length=len(EventType))] = Field(
        default_factory=list, description="Event types to deliver; empty: all"
    )


class WebhookRead(BaseModel):
    id: str
    url: str
    types: list[EventType]
    encrypt_kid: str = Field(description="Deliveries are encrypted to this key of yours")
    status: Literal["active", "paused", "removed"] = Field(
        description="paused: a delivery died after its retries; redeliver it to resume"
    )
    created_at: datetime
    created_by: str


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    type: EventType
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
