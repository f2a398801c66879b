"""Crisis rooms (the live timeline, entries, urgent requests) and joint cases (the link graph).

The timeline updates by itself: the page opens a server-sent event stream (`/crises/{id}/live`) that
follows KIX's change feed (crisis.changed events, long-polled through the SDK) and sends each new entry
as an HTML fragment. The stream checks the analyst's session on every turn, without restarting its idle
time (watching is not activity): it ends at logout, expiry or disablement.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.console.web import Acting, AtDesk, Desk, accounts_of, render

router = APIRouter()
ENTRY_KINDS = (
    "note",
    "sighting",
    "proof_of_life",
    "kidnapper_contact",
    "ransom_demand",
    "ransom_change",
    "decision",
)
LIVE_WAIT_SECONDS = 10.0  # one long poll of the feed; the session is checked between two
FEED_TYPES = ["crisis.changed"]


@router.get("/crises")
def crises(request: Request, at_desk: AtDesk) -> Response:
    rooms = at_desk.kix.crises()["items"]
    return render(request, "crises.html", {"rooms": rooms}, at_desk=at_desk)


@router.get("/crises/{room_id}")
def crisis(request: Request, room_id: str, at_desk: AtDesk) -> Response:
    room = at_desk.kix.crisis(room_id)
    context = {"room": room, "entry_kinds": ENTRY_KINDS}
    return render(request, "crisis.html", context, at_desk=at_desk)


@router.post("/crises/{room_id}/entries")
def add_entry(
    room_id: str,
    at_desk: Acting,
    kind: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    at_desk.kix.add_crisis_entry(room_id, kind, text)
    return RedirectResponse(f"/crises/{room_id}", status_code=303)


@router.post("/crises/{room_id}/urgent-request")
def urgent_request(
    room_id: str,
    at_desk: Acting,
    addressee: Annotated[str, Form(max_length=64)],
    summary: Annotated[str, Form(max_length=4000)],
    basis_kind: Annotated[str, Form(max_length=32)] = "convention",
    instrument: Annotated[str, Form(max_length=200)] = "UNTOC",
) -> Response:
    """An urgent-assistance request raised from the room: critical, its alert linked, submitted at once."""
    room = at_desk.kix.crisis(room_id)
    created = at_desk.kix.create_request(
        {
            "kind": "urgent_assistance",
            "addressee": addressee.strip(),
            "urgency": "critical",
            "summary": summary,
            "linked_records": [room["alert"]] if room["owner"] == at_desk.agency else [],
            "crisis": room_id,
            "legal_basis": {"kind": basis_kind, "instrument": instrument},
        }
    )
    return RedirectResponse(f"/requests/{created['id']}", status_code=303)


def _feed_end(at_desk: Desk) -> str | None:
    """The feed's cursor after everything there now (crisis events only)."""
    cursor = None
    while True:
        page = at_desk.kix.feed.page(cursor, types=FEED_TYPES, limit=500)
        cursor = page["cursor"]
        if not page["items"]:
            return cursor


@router.get("/crises/{room_id}/live")
async def live(request: Request, room_id: str, at_desk: AtDesk, shown: int = 0) -> Response:
    templates = request.app.state.templates
    session_id = at_desk.who.session_id
    accounts = accounts_of(request)

    def fragment(entry: dict[str, Any]) -> str:
        html = templates.get_template("_crisis_entry.html").render(entry=entry)
        return "event: entry\n" + "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"

    async def stream() -> AsyncIterator[str]:
        cursor = await run_in_threadpool(_feed_end, at_desk)
        sent = shown
        while not await request.is_disconnected():
            room = await run_in_threadpool(at_desk.kix.crisis, room_id)
            for entry in room["entries"][sent:]:
                yield fragment(entry)
            sent = max(sent, len(room["entries"]))
            if room["status"] == "closed":
                yield "event: closed\ndata: closed\n\n"
                return
            page = await run_in_threadpool(
                at_desk.kix.feed.page, cursor, types=FEED_TYPES, wait=LIVE_WAIT_SECONDS
            )
            cursor = page["cursor"]
            if await run_in_threadpool(accounts.current, session_id, False) is None:
                yield "event: ended\ndata: session\n\n"
                return
            if not any(event["data"].get("room_id") == room_id for event in page["items"]):
                yield ": still here\n\n"  # a comment: keeps proxies from closing a quiet stream

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


# ---------------------------------------------------------------- joint cases
@router.get("/cases")
def cases(request: Request, at_desk: AtDesk) -> Response:
    found = at_desk.kix.cases()["items"]
    return render(request, "cases.html", {"cases": found}, at_desk=at_desk)


@router.get("/cases/{case_id}")
def case(request: Request, case_id: str, at_desk: AtDesk) -> Response:
    found = at_desk.kix.get_case(case_id)
    graph = at_desk.kix.case_graph(case_id)
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    return render(request, "case.html", {"case": found, "graph": graph, "labels": labels}, at_desk=at_desk)


@router.get("/cases/{case_id}/graph.json")
def case_graph(case_id: str, at_desk: AtDesk, download: bool = False) -> Response:
    """The graph as KIX answered it to this agency: for the page's script, or downloaded (export)."""
    graph = at_desk.kix.case_graph(case_id)
    headers = {"content-disposition": f'attachment; filename="case-{case_id}-graph.json"'} if download else {}
    return JSONResponse(graph, headers=headers)
