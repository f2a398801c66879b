"""Victim and family assistance services per country, so an officer handling a foreign victim finds help
in one query. Administrators keep them; every member reads them."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.ids import uuid7
from app.models import VictimService
from app.schemas.directory import ServiceKind, VictimServiceCreate


def add_service(session: Session, data: VictimServiceCreate, *, now: datetime) -> VictimService:
    service = VictimService(
        id=uuid7(),
        country=data.country,
        name=data.name,
        kinds=sorted({kind.value for kind in data.kinds}),
        contact=data.contact.model_dump(mode="json", exclude_none=True),
        languages=sorted(set(data.languages)),
        updated_at=now,
    )
    session.add(service)
    session.flush()
    return service


def remove_service(session: Session, service_id: str) -> VictimService:
    service = session.get(VictimService, service_id)
    if service is None:
        raise NotFound(f"no victim service {service_id}")
    session.delete(service)
    session.flush()
    return service


def find_services(
    session: Session,
    *,
    country: str | None = None,
    kind: ServiceKind | None = None,
    language: str | None = None,
) -> Sequence[VictimService]:
    query = select(VictimService).order_by(VictimService.country, VictimService.name)
    if country is not None:
        query = query.where(VictimService.country == country)
    services = list(session.scalars(query))
    if kind is not None:
        services = [service for service in services if kind.value in service.kinds]
    if language is not None:
        services = [service for service in services if language in service.languages]
    return services
