"""/v1/stats: trends with small-cell suppression, and the classification that makes them comparable."""

import re
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query

from app.api.deps import DatabaseDep, Now, VaultDep, require
from app.errors import ValidationFailed
from app.schemas.classification import as_json
from app.schemas.common import Scope
from app.schemas.stats import ClassificationEntry, Dimension, Measure, TrendsRead
from app.services.analysis.trends import TrendQuery, add_months, trends
from app.services.events.fanout import REQUEST_ROUNDS, fan_out
from app.services.identity.authentication import Caller

router = APIRouter(prefix="/v1/stats", tags=["analysis"])
Reader = Annotated[Caller, Depends(require(Scope.STATS_READ))]
Choice = TypeVar("Choice", bound=StrEnum)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DEFAULT_YEARS = 5


def _choices(text: str, vocabulary: type[Choice], name: str) -> list[Choice]:
    wanted = [item.strip() for item in text.split(",") if item.strip()]
    known = {choice.value: choice for choice in vocabulary}
    unknown = [item for item in wanted if item not in known]
    if unknown:
        raise ValidationFailed(f"{name}: no {name} {unknown[0]!r}; one of {', '.join(known)}")
    return [known[item] for item in wanted]


def _month(text: str | None, name: str) -> str | None:
    if text is not None and not _MONTH.match(text):
        raise ValidationFailed(f"{name}: a month as YYYY-MM")
    return text


@router.get(
    "/trends",
    response_model=TrendsRead,
    summary="Counts by one or two dimensions, small cells suppressed",
    description="Counts over every record whose owner allows statistics (a sharing rule, default yes), "
    "from rollups the event stream keeps current. Every cell and total under 5 is shown as '<5', and "
    "more are hidden as 'x' (complementary suppression) so that none can be worked out from the totals. "
    "Tables from different queries can still be compared: publish fixed tables, not arbitrary slices.",
)
def trends_(
    caller: Reader,
    database: DatabaseDep,
    vault: VaultDep,
    now: Now,
    by: Annotated[str, Query(max_length=100, description="One or two of: " + ", ".join(Dimension))] = (
        "country,year"
    ),
    measure: Annotated[str, Query(max_length=400, description="Comma-separated: " + ", ".join(Measure))] = (
        "alerts"
    ),
    since: Annotated[str | None, Query(description="First month, YYYY-MM (default: five years back)")] = None,
    until: Annotated[str | None, Query(description="Last month, YYYY-MM (default: this month)")] = None,
    country: Annotated[
        str | None, Query(max_length=300, description="Only these countries (comma-separated)")
    ] = None,
) -> Any:
    last = _month(until, "until") or now.strftime("%Y-%m")
    first = _month(since, "since") or add_months(last, 1 - DEFAULT_YEARS * 12)
    query = TrendQuery(
        measures=_choices(measure, Measure, "measure"),
        by=_choices(by, Dimension, "dimension"),
        since=first,
        until=last,
        countries=[code.strip().upper() for code in (country or "").split(",") if code.strip()],
    )
    fan_out(database, vault, rounds=REQUEST_ROUNDS)  # count what has just been committed too
    with database.transaction(write=False) as session:
        return trends(session, query)


@router.get(
    "/classification",
    response_model=list[ClassificationEntry],
    summary="Each alert category's class in UNODC's ICCS (the common classification trends count by)",
)
def classification(caller: Reader) -> Any:
    return as_json()
