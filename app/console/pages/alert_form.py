"""A new alert: the form an analyst fills in (what happened, where, the victim, the ransom, and the owner's
rules), sent to KIX as the API's AlertCreate. KIX validates it; a 422 comes back with each error shown
beside its field (the API's location, e.g. place.country, is the field's name here)."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.pages.forms import NEW_RECORD_DEFAULTS, TEXT_LIMIT, create, rules_of, vocabularies
from app.console.web import Acting, AtDesk, FormFields, render

router = APIRouter()


def alert_body(form: dict[str, str]) -> dict[str, Any]:
    """The form as the API's AlertCreate: blank optional blocks left out, everything else passed as
    typed, for KIX to judge (the console does not validate in KIX's place)."""
    occurred = form.get("occurred_at", "")
    if occurred and len(occurred) == 16:  # datetime-local gives minutes, in the analyst's UTC
        occurred = datetime.fromisoformat(occurred).replace(tzinfo=UTC).isoformat()
    place: dict[str, Any] = {"country": form.get("place.country", "").strip().upper()}
    if form.get("place.locality", "").strip():
        place["locality"] = form["place.locality"].strip()
    body: dict[str, Any] = {
        "category": form.get("category", ""),
        "urgency": form.get("urgency", ""),
        "status": form.get("status", "active"),
        "occurred_at": occurred,
        "place": place,
        "modus_operandi": form.get("modus_operandi", ""),
    }
    if form.get("victim.name", "").strip() or form.get("victim.age", "").strip():
        victim: dict[str, Any] = {
            "name": form.get("victim.name", "").strip() or None,
            "sex": form.get("victim.sex", "unknown"),
        }
        if form.get("victim.age", "").strip():
            victim["age"] = form["victim.age"].strip()
        body["victim"] = victim
    if form.get("ransom.amount", "").strip():
        body["ransom"] = {
            "amount": form["ransom.amount"].strip(),
            "currency": form.get("ransom.currency", "").strip().upper(),
            "channel": form.get("ransom.channel", ""),
        }
    body["rules"] = rules_of(form)
    return body


@router.get("/alerts/new")
def new_alert_form(request: Request, at_desk: AtDesk) -> Response:
    context = {"form": dict(NEW_RECORD_DEFAULTS), "errors": {}}
    return render(request, "alert_form.html", context | vocabularies(), at_desk=at_desk)


@router.post("/alerts/new")
def create_alert(request: Request, at_desk: Acting, fields: FormFields) -> Response:
    form = {name: value[:TEXT_LIMIT] for name, value in fields.items()}
    return create(request, at_desk, "alerts", alert_body(form), form, "alert_form.html")
