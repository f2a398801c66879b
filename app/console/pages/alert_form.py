"""A new alert, and changes to one of the agency's alerts.

A new alert: the form an analyst fills in (what happened, where, the victim, the ransom, and the owner's
rules), sent to KIX as the API's AlertCreate. KIX validates it; a 422 comes back with each error shown
beside its field (the API's location, e.g. place.country, is the field's name here). A change: status
(the moves the lifecycle allows), urgency, modus operandi, locality, sent with the version the analyst
read (If-Match), so a change made meanwhile is refused rather than overwritten."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.client.codec import KixProblem
from app.console import i18n
from app.console.pages.forms import NEW_RECORD_DEFAULTS, TEXT_LIMIT, create, rules_of, vocabularies
from app.console.web import Acting, AtDesk, FormFields, Refused, field_errors, render
from app.services.records.kinds import ALERTS

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


# ---------------------------------------------------------------- changing one of the agency's alerts
EDITABLE = ("status", "urgency", "modus_operandi", "place.locality")


def current_values(record: dict[str, Any]) -> dict[str, str]:
    return {
        "status": record["status"],
        "urgency": record["urgency"],
        "modus_operandi": record.get("modus_operandi") or "",
        "place.locality": (record.get("place") or {}).get("locality") or "",
        "etag": record["etag"],
    }


def changes_of(record: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """Only what the analyst changed, as the API's AlertUpdate."""
    before = current_values(record)
    changes: dict[str, Any] = {}
    for name in ("status", "urgency", "modus_operandi"):
        if form.get(name, before[name]) != before[name]:
            changes[name] = form[name]
    if form.get("place.locality", before["place.locality"]) != before["place.locality"]:
        changes["place"] = dict(record["place"]) | {"locality": form["place.locality"].strip() or None}
    return changes


def edit_context(record: dict[str, Any], form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    statuses = [record["status"], *sorted(ALERTS.transitions.get(record["status"], frozenset()))]
    return {"record": record, "form": form, "errors": errors, "statuses": statuses} | vocabularies()


@router.get("/alerts/{record_id}/edit")
def edit_alert_form(request: Request, record_id: str, at_desk: AtDesk) -> Response:
    record = at_desk.kix.get_record("alerts", record_id)
    if record["owner"] != at_desk.agency:
        raise Refused(403, i18n.gettext("Only the owner's analysts change a record."))
    return render(
        request, "alert_edit.html", edit_context(record, current_values(record), {}), at_desk=at_desk
    )


@router.post("/alerts/{record_id}/edit")
def edit_alert(request: Request, record_id: str, at_desk: Acting, fields: FormFields) -> Response:
    record = at_desk.kix.get_record("alerts", record_id)
    form = {name: value[:TEXT_LIMIT] for name, value in fields.items()}
    changes = changes_of(record, form)
    if not changes:
        return RedirectResponse(f"/alerts/{record_id}", status_code=303)
    try:
        # The version the analyst read: a change made meanwhile by someone else is refused (412), not lost.
        at_desk.kix.update_record("alerts", record_id, changes, etag=form.get("etag") or record["etag"])
    except KixProblem as exc:
        if exc.status not in (409, 412, 422):
            raise
        errors = field_errors(exc.problem) if exc.status == 422 else {}
        errors.setdefault("_", exc.problem.get("detail", "") if exc.status != 422 else "")
        if exc.status == 412:
            errors["_"] = i18n.gettext(
                "Someone changed this alert since you opened it: reload it and try again."
            )
        context = edit_context(record, form, {name: text for name, text in errors.items() if text})
        return render(request, "alert_edit.html", context, status=exc.status, at_desk=at_desk)
    return RedirectResponse(f"/alerts/{record_id}", status_code=303)
