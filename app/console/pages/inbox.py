"""The inbox: what waits on this agency, soonest deadline first, with overdue marks: notices to
acknowledge, hits on its records, access and onward-sharing requests to decide, cooperation requests
waiting on it."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.web import AtDesk, deadline_order, render

router = APIRouter()
KINDS = ("alerts", "suspects", "leads")


def words(value: str) -> str:
    """An API value (mutual_legal_assistance) as words (mutual legal assistance)."""
    return value.replace("_", " ")


@dataclass(frozen=True)
class Waiting:
    """One line of the inbox."""

    what: str  # notice, share, hit, access, request
    title: str
    link: str
    due_at: str | None
    overdue: bool
    created_at: str


def waiting_items(kix: Any, agency: str) -> list[Waiting]:
    found: list[Waiting] = []
    for kind in KINDS:
        for notice in kix.notices(kind, pending=True)["items"]:
            found.append(
                Waiting(
                    "notice",
                    notice["message"] or notice["kind"],
                    f"/{kind}/{notice['record_id']}",
                    None,
                    False,
                    notice["created_at"],
                )
            )
        for asked in kix.all_share_requests(kind, pending=True)["items"]:
            if asked["requester"] != agency:  # on this agency's record: its owner decides
                found.append(
                    Waiting(
                        "share",
                        f"{asked['requester']} → {asked['target']}: {asked['reason']}",
                        f"/{kind}/{asked['record_id']}",
                        asked["due_at"],
                        asked["overdue"],
                        asked["created_at"],
                    )
                )
    for hit in kix.hits()["items"]:
        found.append(
            Waiting(
                "hit",
                f"{hit['querier']}: {', '.join(map(words, hit['matched_on']))} ({hit['strength']})",
                f"/records/{hit['record_id']}",
                None,
                False,
                hit["created_at"],
            )
        )
    for asked in kix.access_requests()["items"]:
        if asked["owner"] == agency and asked["status"] == "pending":
            found.append(
                Waiting(
                    "access",
                    f"{asked['requester']}: {asked['reason']}",
                    f"/access/{asked['id']}",
                    asked["due_at"],
                    asked["overdue"],
                    asked["created_at"],
                )
            )
    for role in ("addressee", "requester", "copied"):
        for item in kix.requests(role=role, limit=100)["items"]:
            if item.get("waiting_on") == agency:
                found.append(
                    Waiting(
                        "request",
                        f"{words(item['kind'])} · {words(item['state'])} · {item['summary']}",
                        f"/requests/{item['id']}",
                        item["due_at"],
                        item["overdue"],
                        item["created_at"],
                    )
                )
    # Overdue first, then by deadline (none last), then oldest first.
    return sorted(found, key=lambda w: deadline_order(w.overdue, w.due_at, w.created_at))


@router.get("/")
def inbox(request: Request, at_desk: AtDesk) -> Response:
    items = waiting_items(at_desk.kix, at_desk.agency)
    return render(request, "inbox.html", {"items": items}, at_desk=at_desk)
