"""Trends: the API's suppressed tables (cells under the threshold shown as "<5", complementary
suppression as "x") and a bar chart of the same figures, drawn as SVG on the server (no script)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.console.web import AtDesk, render
from app.schemas.stats import Dimension, Measure

router = APIRouter()
DIMENSIONS = tuple(dimension.value for dimension in Dimension)
MEASURES = tuple(measure.value for measure in Measure)
BAR_WIDTH = 480


def bars(table: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per row: the row's total (or its one cell), scaled to the largest; suppressed rows get no
    length, only their label ("<5" or "x")."""
    totals = table["row_totals"] or [
        {"key": cell["row"], "count": cell["count"], "shown": cell["shown"]} for cell in table["cells"]
    ]
    largest = max((total["count"] or 0 for total in totals), default=0) or 1
    return [
        {
            "label": total["key"],
            "shown": total["shown"],
            "width": round(BAR_WIDTH * (total["count"] or 0) / largest),
        }
        for total in totals
    ]


@router.get("/trends")
def trends(
    request: Request,
    at_desk: AtDesk,
    by: str = "country",
    measure: str = "alerts",
    since: str = "",
    until: str = "",
) -> Response:
    by = ",".join(part for part in by.split(",")[:2] if part in DIMENSIONS) or "country"
    measure = measure if measure in MEASURES else "alerts"
    answer = at_desk.kix.trends(by=by, measure=measure, since=since or None, until=until or None)
    tables = [{"table": table, "bars": bars(table)} for table in answer["tables"]]
    context = {
        "answer": answer,
        "tables": tables,
        "by": by,
        "measure": measure,
        "since": since,
        "until": until,
        "dimensions": DIMENSIONS,
        "measures": MEASURES,
        "bar_width": BAR_WIDTH,
    }
    return render(request, "trends.html", context, at_desk=at_desk)
