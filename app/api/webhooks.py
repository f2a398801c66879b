"""/v1/webhooks: an agency's endpoints, their delivery log, tests and redeliveries."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.api.deps import AnyCaller, DbSession, Now, SettingsDep
from app.models import Event, WebhookDelivery, WebhookEndpoint
from app.schemas.events import DeliveryList, DeliveryRead, EventRead, WebhookCreate, WebhookList, WebhookRead
from app.schemas.records import RecordId
from app.services.events import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["events"])


def _endpoint(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead.model_validate(endpoint, from_attributes=True)


def _delivery(delivery: WebhookDelivery, event: Event) -> DeliveryRead:
    pending = delivery.state == "pending"
    return DeliveryRead.model_validate(
        {
            "id": delivery.id,
            "endpoint_id": delivery.endpoint_id,
            "event_id": event.event_id,
            "type": event.type,
            "state": delivery.state,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at if pending else None,
            "last_status": delivery.last_status,
            "last_error": delivery.last_error,
            "delivered_at": delivery.delivered_at,
            "created_at": delivery.created_at,
        }
    )


@router.post(
    "",
    status_code=201,
    response_model=WebhookRead,
    summary="Register an endpoint: your events are delivered there, signed by KIX and encrypted to this key",
)
def add(
    body: WebhookCreate, caller: AnyCaller, session: DbSession, settings: SettingsDep, now: Now
) -> WebhookRead:
    endpoint = webhooks.register(
        session,
        caller.agency_id,
        caller.kid,
        caller.actor,
        body.url,
        body.types,
        private_allowed=not settings.is_production,
        now=now,
    )
    return _endpoint(endpoint)


@router.get("", response_model=WebhookList, summary="Your endpoints")
def list_(caller: AnyCaller, session: DbSession) -> WebhookList:
    return WebhookList(items=[_endpoint(e) for e in webhooks.endpoints(session, caller.agency_id)])


@router.delete("/{endpoint_id}", response_model=WebhookRead, summary="Stop delivering to an endpoint")
def remove(endpoint_id: RecordId, caller: AnyCaller, session: DbSession) -> WebhookRead:
    return _endpoint(webhooks.remove(session, caller.agency_id, endpoint_id))


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=EventRead,
    summary="Queue a webhook.test event for this endpoint",
)
def test(endpoint_id: RecordId, caller: AnyCaller, session: DbSession, now: Now) -> Any:
    return webhooks.send_test(session, caller.agency_id, endpoint_id, now)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList, summary="The endpoint's delivery log")
def deliveries(
    endpoint_id: RecordId,
    caller: AnyCaller,
    session: DbSession,
    state: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
) -> DeliveryList:
    found = webhooks.deliveries(session, caller.agency_id, endpoint_id, state)
    return DeliveryList(items=[_delivery(delivery, event) for delivery, event in found])


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    summary="Deliver again (a dead delivery also resumes its paused endpoint)",
)
def redeliver(
    endpoint_id: RecordId, delivery_id: RecordId, caller: AnyCaller, session: DbSession, now: Now
) -> DeliveryRead:
    delivery, event = webhooks.redeliver(session, caller.agency_id, endpoint_id, delivery_id, now)
    return _delivery(delivery, event)
