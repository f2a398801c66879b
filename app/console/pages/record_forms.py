"""New suspects and leads: forms in the analyst's terms (a name per line in any script, a document per
line), sent to KIX as the API's SuspectCreate and LeadCreate, with KIX's errors shown beside the fields."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.pages.forms import (
    NEW_RECORD_DEFAULTS,
    TEXT_LIMIT,
    create,
    lines,
    rules_of,
    script_of,
    vocabularies,
    words,
)
from app.console.web import Acting, AtDesk, FormFields, render

router = APIRouter()


def name_entry(line: str) -> dict[str, Any]:
    """ "FAMILY, Given" (the family name known), "FAMILY, Given, Patronymic", or a name as written; its
    script from its letters."""
    family, given, patronymic = ([part.strip() for part in line.split(",", 2)] + ["", ""])[:3]
    if not (family and given):
        return {"full_name": line, "script": script_of(line)}
    entry = {"full_name": f"{given} {family}", "family_name": family, "script": script_of(line)}
    if patronymic:
        entry |= {"full_name": f"{given} {patronymic} {family}", "patronymic": patronymic}
    return entry


def document_entry(line: str) -> dict[str, str]:
    """ "passport N1234567 JO": the kind, the number (it may hold spaces), the issuing country."""
    parts = line.split()
    if len(parts) < 3:
        return {"kind": parts[0] if parts else "", "number": " ".join(parts[1:]), "issuing_country": ""}
    return {"kind": parts[0].lower(), "number": " ".join(parts[1:-1]), "issuing_country": parts[-1].upper()}


def suspect_body(form: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "names": [name_entry(line) for line in lines(form.get("names", ""))],
        "nationalities": [code.upper() for code in words(form.get("nationalities", ""))],
        "documents": [document_entry(line) for line in lines(form.get("documents", ""))],
        "phones": lines(form.get("phones", "")),
        "rules": rules_of(form),
    }
    if form.get("date_of_birth", "").strip():
        body["date_of_birth"] = form["date_of_birth"].strip()
    if form.get("group_affiliation", "").strip():
        body["group_affiliation"] = form["group_affiliation"].strip()
    return body


def lead_body(form: dict[str, str]) -> dict[str, Any]:
    identifiers: dict[str, Any] = {}
    for field in ("iban", "bic", "registry_ref"):
        if form.get(f"identifiers.{field}", "").strip():
            identifiers[field] = form[f"identifiers.{field}"].strip()
    if form.get("identifiers.wallet.address", "").strip():
        identifiers["wallet"] = {
            "chain": form.get("identifiers.wallet.chain", ""),
            "address": form["identifiers.wallet.address"].strip(),
        }
    return {
        "asset_kind": form.get("asset_kind", ""),
        "identifiers": identifiers,
        "amount": form.get("amount", "").strip(),
        "currency": form.get("currency", "").strip().upper(),
        "jurisdiction": form.get("jurisdiction", "").strip().upper(),
        "rules": rules_of(form),
    }


FORMS = {"suspects": ("suspect_form.html", suspect_body), "leads": ("lead_form.html", lead_body)}


@router.get("/suspects/new")
@router.get("/leads/new")
def new_record_form(request: Request, at_desk: AtDesk) -> Response:
    template, _ = FORMS[request.url.path.split("/")[1]]
    context = {"form": dict(NEW_RECORD_DEFAULTS), "errors": {}} | vocabularies()
    return render(request, template, context, at_desk=at_desk)


@router.post("/suspects/new")
@router.post("/leads/new")
def create_record(request: Request, at_desk: Acting, fields: FormFields) -> Response:
    kind = request.url.path.split("/")[1]
    template, body_of = FORMS[kind]
    form = {name: value[:TEXT_LIMIT] for name, value in fields.items()}
    return create(request, at_desk, kind, body_of(form), form, template)
