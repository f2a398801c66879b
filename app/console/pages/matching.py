"""Hit/no-hit: the form (names in any script, dates of birth, documents, accounts, wallets, phones; one
value per line), the graded answer with its reasons and the remaining budget, "ask for access" on a hit
the caller may not see, and the decision on access requests to this agency's records (supervisors)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.client.codec import KixProblem
from app.console.web import Acting, AtDesk, Supervising, field_errors, render

router = APIRouter()
CRITERIA = ("names", "dates_of_birth", "documents", "accounts", "wallets", "phones")
MAX_FIELD = 4000


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.get("/match")
def match_form(request: Request, at_desk: AtDesk) -> Response:
    return render(request, "match.html", {"sent": {}, "answer": None, "errors": {}}, at_desk=at_desk)


@router.post("/match")
def run_match(
    request: Request,
    at_desk: Acting,
    names: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    dates_of_birth: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    documents: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    accounts: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    wallets: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    phones: Annotated[str, Form(max_length=MAX_FIELD)] = "",
) -> Response:
    sent = {
        "names": names,
        "dates_of_birth": dates_of_birth,
        "documents": documents,
        "accounts": accounts,
        "wallets": wallets,
        "phones": phones,
    }
    criteria = {name: lines(value) for name, value in sent.items() if lines(value)}
    answer, errors, status = None, {}, 200
    try:
        answer = at_desk.kix.match(criteria)
    except KixProblem as exc:
        if exc.status not in (400, 422, 429):
            raise
        errors = {key.split(".")[0]: message for key, message in field_errors(exc.problem).items()}
        if not errors or exc.status != 422:
            errors["_"] = exc.problem.get("detail") or exc.problem.get("title", "")
        status = exc.status
    context = {"sent": sent, "answer": answer, "errors": errors}
    return render(request, "match.html", context, status=status, at_desk=at_desk)


@router.post("/hits/{hit_id}/access")
def ask_access(hit_id: str, at_desk: Acting, reason: Annotated[str, Form(max_length=1000)]) -> Response:
    at_desk.kix.request_access(hit_id, reason)
    return RedirectResponse("/access", status_code=303)


@router.get("/access")
def access_requests(request: Request, at_desk: AtDesk) -> Response:
    items = at_desk.kix.access_requests()["items"]
    mine = [item for item in items if item["requester"] == at_desk.agency]
    to_decide = [item for item in items if item["owner"] == at_desk.agency]
    return render(request, "access.html", {"mine": mine, "to_decide": to_decide}, at_desk=at_desk)


@router.get("/access/{request_id}")
def access_request(request: Request, request_id: str, at_desk: AtDesk) -> Response:
    found = [item for item in at_desk.kix.access_requests()["items"] if item["id"] == request_id]
    if not found:
        return RedirectResponse("/access", status_code=303)
    return render(request, "access.html", {"mine": [], "to_decide": found}, at_desk=at_desk)


@router.post("/access/{request_id}/decision")
def decide_access(
    request_id: str,
    at_desk: Supervising,
    grant: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    at_desk.kix.decide_access(request_id, grant, reason)
    return RedirectResponse("/access", status_code=303)
