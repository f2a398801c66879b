"""The directory: competent authorities (by country, kind, what they accept, what they are the central
authority for) and victim services (by country and kind)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.web import AtDesk, render
from app.schemas.agencies import AgencyKind
from app.schemas.cooperation import RequestKind

router = APIRouter()


@router.get("/directory")
def directory(
    request: Request, at_desk: AtDesk, country: str = "", kind: str = "", accepts: str = ""
) -> Response:
    country = country.strip().upper()[:2]
    authorities = at_desk.kix.directory(country=country or None, kind=kind or None, accepts=accepts or None)[
        "items"
    ]
    services = at_desk.kix.victim_services(country=country or None)["items"]
    context = {
        "authorities": authorities,
        "services": services,
        "country": country,
        "kind": kind,
        "accepts": accepts,
        "kinds": [
            value.value
            for value in AgencyKind
            if value not in (AgencyKind.OPERATOR, AgencyKind.PRIVATE_PARTNER)
        ],
        "request_kinds": [value.value for value in RequestKind],
    }
    template = "_directory_results.html" if request.headers.get("hx-request") else "directory.html"
    return render(request, template, context, at_desk=at_desk)
