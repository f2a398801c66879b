"""Changing one of the agency's records: its status (only the moves its lifecycle allows) and the fields an
analyst most often corrects, per kind. The change is sent with the version the analyst read (If-Match),
so one made meanwhile by someone else is refused (412) rather than overwritten; KIX's 422 is shown beside
the fields; every agency that saw the record is told of the correction by KIX."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.client.codec import KixProblem
from app.console import i18n
from app.console.pages.forms import TEXT_LIMIT, vocabularies
from app.console.web import Acting, AtDesk, FormFields, Refused, field_errors, render
from app.services.records.kinds import ALERTS, LEADS, SUSPECTS, KindSpec

router = APIRouter()
# Per kind: the spec, and its editable fields beside status (a dotted name is a field of a block).
EDITABLE: dict[str, tuple[KindSpec, tuple[str, ...]]] = {
    "alerts": (ALERTS, ("urgency", "modus_operandi", "place.locality")),
    "suspects": (SUSPECTS, ("group_affiliation",)),
    "leads": (LEADS, ("amount", "freeze_expires_on")),
}


def field_value(record: dict[str, Any], name: str) -> str:
    block, _, inner = name.partition(".")
    value = (record.get(block) or {}).get(inner) if inner else record.get(block)
    return "" if value is None else str(value)


def current_values(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    return {name: field_value(record, name) for name in ("status", *fields)} | {"etag": record["etag"]}


def changes_of(record: dict[str, Any], form: dict[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only what the analyst changed, as the kind's update: a blank field clears it, a changed field of
    a block sends the block with it."""
    changes: dict[str, Any] = {}
    for name in ("status", *fields):
        typed = form.get(name, field_value(record, name)).strip()
        if typed == field_value(record, name):
            continue
        block, _, inner = name.partition(".")
        if inner:
            changes[block] = dict(changes.get(block) or record.get(block) or {}) | {inner: typed or None}
        else:
            changes[name] = typed or None
    return changes


def editable(at_desk: Any, kind: str, record_id: str) -> tuple[KindSpec, tuple[str, ...], dict[str, Any]]:
    if kind not in EDITABLE:
        raise Refused(404, i18n.gettext("No such list."))
    spec, fields = EDITABLE[kind]
    record = at_desk.kix.get_record(kind, record_id)
    if record["owner"] != at_desk.agency:
        raise Refused(403, i18n.gettext("Only the owner's analysts change a record."))
    return spec, fields, record


def edit_context(
    kind: str,
    spec: KindSpec,
    fields: tuple[str, ...],
    record: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, str],
) -> dict[str, Any]:
    statuses = [record["status"], *sorted(spec.transitions.get(record["status"], frozenset()))]
    context = {"kind": kind, "fields": fields, "record": record, "form": form, "errors": errors}
    return context | {"statuses": statuses} | vocabularies()


@router.get("/{kind}/{record_id}/edit")
def edit_form(request: Request, kind: str, record_id: str, at_desk: AtDesk) -> Response:
    spec, fields, record = editable(at_desk, kind, record_id)
    context = edit_context(kind, spec, fields, record, current_values(record, fields), {})
    return render(request, "record_edit.html", context, at_desk=at_desk)


@router.post("/{kind}/{record_id}/edit")
def edit(request: Request, kind: str, record_id: str, at_desk: Acting, fields: FormFields) -> Response:
    spec, names, record = editable(at_desk, kind, record_id)
    form = {name: value[:TEXT_LIMIT] for name, value in fields.items()}
    changes = changes_of(record, form, names)
    if not changes:
        return RedirectResponse(f"/{kind}/{record_id}", status_code=303)
    try:
        at_desk.kix.update_record(kind, record_id, changes, etag=form.get("etag") or record["etag"])
    except KixProblem as exc:
        if exc.status not in (409, 412, 422):
            raise
        errors = field_errors(exc.problem) if exc.status == 422 else {"_": exc.problem.get("detail", "")}
        if exc.status == 412:
            errors["_"] = i18n.gettext(
                "Someone changed this record since you opened it: reload it and try again."
            )
        context = edit_context(
            kind, spec, names, record, form, {name: text for name, text in errors.items() if text}
        )
        return render(request, "record_edit.html", context, status=exc.status, at_desk=at_desk)
    return RedirectResponse(f"/{kind}/{record_id}", status_code=303)
