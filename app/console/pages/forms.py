"""What the record forms share: the owner's rules block, the vocabularies of the selects, and sending a
new record to KIX with its 422 shown beside the fields (the console passes what was typed and lets KIX
judge: it does not validate in KIX's place, so it can not disagree with it)."""

import unicodedata
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.client.codec import KixProblem
from app.console.web import Desk, field_errors, render
from app.schemas.alert_categories import AlertCategory
from app.schemas.alerts import RansomChannel, Urgency
from app.schemas.leads import AssetKind, Chain
from app.schemas.records import DistributionMode, HitAction, Tlp
from app.schemas.suspects import DocumentKind

TEXT_LIMIT = 4000
NEW_RECORD_DEFAULTS = {"rules.distribution.mode": "all_members", "rules.handling": "AMBER"}
# The first letter's Unicode name starts with one of these: the script of a name (ISO 15924).
SCRIPTS = (
    ("CYRILLIC", "Cyrl"),
    ("ARABIC", "Arab"),
    ("GREEK", "Grek"),
    ("HEBREW", "Hebr"),
    ("HANGUL", "Hang"),
    ("DEVANAGARI", "Deva"),
    ("GEORGIAN", "Geor"),
    ("CJK", "Hani"),
    ("HIRAGANA", "Jpan"),
    ("KATAKANA", "Jpan"),
)


def vocabularies() -> dict[str, list[str]]:
    return {
        "categories": [value.value for value in AlertCategory],
        "urgencies": [value.value for value in Urgency],
        "channels": [value.value for value in RansomChannel],
        "modes": [value.value for value in DistributionMode],
        "actions": [value.value for value in HitAction],
        "handlings": [value.value for value in Tlp],
        "asset_kinds": [value.value for value in AssetKind],
        "chains": [value.value for value in Chain],
        "document_kinds": [value.value for value in DocumentKind],
    }


def words(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def script_of(name: str) -> str:
    for character in name:
        if character.isalpha():
            found = unicodedata.name(character, "")
            return next((code for prefix, code in SCRIPTS if found.startswith(prefix)), "Latn")
    return "Latn"


def rules_of(form: dict[str, str]) -> dict[str, Any]:
    mode = form.get("rules.distribution.mode", "owner_only")
    distribution: dict[str, Any] = {"mode": mode}
    if mode == "agencies":
        distribution["agencies"] = words(form.get("rules.distribution.agencies", ""))
    if mode == "groups":
        distribution["groups"] = words(form.get("rules.distribution.groups", ""))
    return {
        "case_ref": form.get("rules.case_ref", ""),
        "evaluation": {
            "source": form.get("rules.evaluation.source", ""),
            "information": form.get("rules.evaluation.information", ""),
        },
        "action_on_hit": form.get("rules.action_on_hit", ""),
        "handling": form.get("rules.handling", ""),
        "distribution": distribution,
        "discoverable": form.get("rules.discoverable") == "true",
    }


def create(
    request: Request, at_desk: Desk, kind: str, body: dict[str, Any], form: dict[str, str], template: str
) -> Response:
    """Send a new record; on KIX's 422, the form again with each error beside its field."""
    try:
        created = at_desk.kix.create_record(kind, body)
    except KixProblem as exc:
        if exc.status != 422:
            raise
        errors = field_errors(exc.problem)
        if set(errors) == {"_"} or not errors:
            errors["_"] = exc.problem.get("detail", "")
        context = {"form": form, "errors": errors} | vocabularies()
        return render(request, template, context, status=422, at_desk=at_desk)
    return RedirectResponse(f"/{kind}/{created['id']}", status_code=303)
