"""Alerts, suspects and leads: lists that filter as the analyst types (the API's filters, keyset pages),
a record's page (its fields, rules, links, revisions as a diff, contributions, notices and receipts,
onward-sharing requests), and what an analyst or supervisor may do there."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.client.codec import KixProblem
from app.console import i18n
from app.console.web import Acting, AtDesk, Refused, Supervising, field_errors, render
from app.services.records.kinds import KINDS, KindSpec

router = APIRouter()
BY_PATH: dict[str, KindSpec] = {spec.path: spec for spec in KINDS.values()}
PAGE_SIZE = 25
ENVELOPE = {
    "id",
    "kind",
    "owner",
    "version",
    "etag",
    "created_at",
    "updated_at",
    "withdrawn_at",
    "withdrawal_reason",
    "rules",
    "links",
    "revoked_consents",
}
FILTERS = ("status", "category", "urgency", "country", "owner", "sort")


def spec_for(kind: str) -> KindSpec:
    spec = BY_PATH.get(kind)
    if spec is None:
        raise Refused(404, i18n.gettext("No such list."))
    return spec


def flattened(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A body as (dotted path, leaf value) pairs, for display and for the revision diff."""
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] = []
        for key, inner in value.items():
            pairs += flattened(inner, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        pairs = []
        for index, inner in enumerate(value):
            pairs += flattened(inner, f"{prefix}[{index}]")
        return pairs
    return [(prefix, ", ".join(map(str, value)) if isinstance(value, list) else value)]


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that changed, appeared or went between two revisions' bodies."""
    old, new = dict(flattened(before)), dict(flattened(after))
    return [
        (path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def list_filters(request: Request, spec: KindSpec) -> dict[str, str]:
    chosen = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    if not spec.urgency:
        chosen.pop("urgency")
    if spec.categories is None:
        chosen.pop("category")
    return {name: value for name, value in chosen.items() if value}


@router.get("/{kind}")
def record_list(request: Request, kind: str, at_desk: AtDesk, cursor: str | None = None) -> Response:
    spec = spec_for(kind)
    filters = list_filters(request, spec)
    if "country" in filters:
        filters["country"] = filters["country"].upper()
    try:
        page = at_desk.kix.list_records(kind, limit=PAGE_SIZE, cursor=cursor, **filters)
        problem = None
    except KixProblem as exc:  # a filter the API refuses: shown above the (empty) list
        if exc.status != 422:
            raise
        page, problem = {"items": [], "page": {"next_cursor": None}}, exc.problem
    context = {
        "kind": kind,
        "spec": spec,
        "filters": filters,
        "items": page["items"],
        "next_cursor": page["page"]["next_cursor"],
        "columns": [heading for heading, _ in spec.table_columns],
        "cells": [[value(item) for _, value in spec.table_columns] for item in page["items"]],
        "problem": problem,
        "statuses": [status.value for status in spec.statuses],
        "categories": [category.value for category in spec.categories] if spec.categories else [],
    }
    template = "_record_rows.html" if request.headers.get("hx-request") and cursor is None else "records.html"
    if request.headers.get("hx-request") and cursor is not None:
        template = "_record_more.html"
    return render(request, template, context, at_desk=at_desk)


@router.get("/records/{record_id}")
def any_record(record_id: str, at_desk: AtDesk) -> Response:
    """A record named without its kind (a hit names only the record): found by asking each kind."""
    for spec in KINDS.values():
        try:
            at_desk.kix.get_record(spec.path, record_id)
        except KixProblem as exc:
            if exc.status in (403, 404, 422):
                continue
            raise
        return RedirectResponse(f"/{spec.path}/{record_id}", status_code=303)
    raise Refused(404, i18n.gettext("No record by that id is visible to your agency."))


def _optional(call: Any, *args: Any) -> Any:
    """What an owner-only or scope-bound call answers, or None when KIX refuses it to this caller."""
    try:
        return call(*args)
    except KixProblem as exc:
        if exc.status in (403, 404):
            return None
        raise


@router.get("/{kind}/{record_id}")
def record_page(request: Request, kind: str, record_id: str, at_desk: AtDesk) -> Response:
    spec = spec_for(kind)
    kix = at_desk.kix
    record = kix.get_record(kind, record_id)
    owned = record["owner"] == at_desk.agency
    revisions = (_optional(kix.record_revisions, kind, record_id) or {"items": []})["items"]
    changes = [
        (newer, diff(older["body"], newer["body"]))
        for older, newer in zip(revisions, revisions[1:], strict=False)
    ]
    context = {
        "kind": kind,
        "spec": spec,
        "record": record,
        "owned": owned,
        "fields": [
            (path, value)
            for path, value in flattened(record)
            if path.split(".")[0].split("[")[0] not in ENVELOPE
        ],
        "rules": flattened(record["rules"]),
        "links": (_optional(kix.links, kind, record_id) or {"items": []})["items"],
        "revisions": revisions,
        "changes": list(reversed(changes)),
        "contributions": (_optional(kix.contributions, kind, record_id) or {"items": []})["items"],
        "receipts": (_optional(kix.notice_receipts, kind, record_id) or {"items": []})["items"]
        if owned
        else [],
        "share_requests": (_optional(kix.share_requests, kind, record_id) or {"items": []})["items"],
        "notices": [n for n in kix.notices(kind, pending=True)["items"] if n["record_id"] == record_id],
    }
    return render(request, "record.html", context, at_desk=at_desk)


def _back(kind: str, record_id: str) -> Response:
    return RedirectResponse(f"/{kind}/{record_id}", status_code=303)


@router.post("/{kind}/{record_id}/contributions")
def contribute(
    kind: str,
    record_id: str,
    at_desk: Acting,
    note_kind: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    spec_for(kind)
    at_desk.kix.contribute(kind, record_id, note_kind, text)
    return _back(kind, record_id)


@router.post("/{kind}/notices/{notice_id}/ack")
def acknowledge(
    kind: str, notice_id: str, at_desk: Acting, record_id: Annotated[str, Form(max_length=64)]
) -> Response:
    spec_for(kind)
    at_desk.kix.acknowledge_notice(kind, notice_id)
    return _back(kind, record_id)


@router.post("/{kind}/{record_id}/share-requests")
def ask_sharing(
    kind: str,
    record_id: str,
    at_desk: Acting,
    target: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    spec_for(kind)
    at_desk.kix.ask_onward_sharing(kind, record_id, target.strip(), reason)
    return _back(kind, record_id)


@router.post("/{kind}/{record_id}/share-requests/{request_id}/decision")
def decide_sharing(
    kind: str,
    record_id: str,
    request_id: str,
    at_desk: Supervising,
    grant: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    spec_for(kind)
    at_desk.kix.decide_onward_sharing(kind, record_id, request_id, grant=grant, reason=reason)
    return _back(kind, record_id)


@router.post("/{kind}/{record_id}/withdraw")
def withdraw(
    kind: str, record_id: str, at_desk: Supervising, reason: Annotated[str, Form(max_length=1000)]
) -> Response:
    spec_for(kind)
    at_desk.kix.withdraw_record(kind, record_id, reason)
    return _back(kind, record_id)


@router.post("/{kind}/{record_id}/purge")
def purge(kind: str, record_id: str, at_desk: Supervising) -> Response:
    spec_for(kind)
    at_desk.kix.purge_record(kind, record_id)
    return RedirectResponse(f"/{kind}", status_code=303)


def form_errors(exc: KixProblem) -> dict[str, str]:
    return field_errors(exc.problem) if exc.status == 422 else {"_": exc.problem.get("detail", str(exc))}
