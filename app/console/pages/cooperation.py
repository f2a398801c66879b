"""Cooperation requests: inbox (addressed or copied to this agency) and outbox (made by it), a request's
page with its deadline and history, and the actions the state machine allows the caller now, as buttons
(KIX says which: `allowed_actions`). Refusing and withdrawing are for supervisors."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.console import i18n
from app.console.web import Acting, AtDesk, Refused, deadline_order, render

router = APIRouter()
SUPERVISOR_ACTIONS = {"refuse", "withdraw"}
BOXES = {"inbox": ("addressee", "copied"), "outbox": ("requester",)}


@router.get("/requests")
def requests_list(request: Request, at_desk: AtDesk, box: str = "inbox", state: str = "") -> Response:
    roles = BOXES.get(box, BOXES["inbox"])
    items = []
    for role in roles:
        items += at_desk.kix.requests(role=role, state=state or None, limit=100)["items"]
    items.sort(key=lambda item: deadline_order(item["overdue"], item["due_at"], item["created_at"]))
    context = {"items": items, "box": box if box in BOXES else "inbox", "state": state}
    return render(request, "requests.html", context, at_desk=at_desk)


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str, at_desk: AtDesk) -> Response:
    found = at_desk.kix.get_request(request_id)
    context = {"item": found, "supervisor_actions": SUPERVISOR_ACTIONS}
    return render(request, "request.html", context, at_desk=at_desk)


@router.post("/requests/{request_id}/actions")
def act(
    request_id: str,
    at_desk: Acting,
    action: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if action in SUPERVISOR_ACTIONS and not at_desk.is_supervisor:
        raise Refused(403, i18n.gettext("Only a supervisor may do this."))
    at_desk.kix.act_on_request(request_id, action, note=note or None)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)
