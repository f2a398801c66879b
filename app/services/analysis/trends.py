"""Trends: counts from the rollup by one or two dimensions, each table protected by small-cell suppression
(suppression.py) before it leaves the service. Never a scan of records: the rollup holds one row per
measure and cell (facts.py keeps it current)."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, cast, func, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models import TrendCount
from app.schemas.stats import AMOUNT_MEASURES, TIME_DIMENSIONS, Dimension, Measure
from app.services.analysis.bands import ORDER as BAND_ORDER
from app.services.analysis.facts import GRAINS
from app.services.analysis.suppression import THRESHOLD, ProtectedTable, Shown, protect

MAX_MONTHS = 120  # ten years: longer series mix classifications and practices too far apart
ONE_DIMENSION = "total"


@dataclass(frozen=True)
class TrendQuery:
    measures: Sequence[Measure]
    by: Sequence[Dimension]
    since: str  # YYYY-MM
    until: str
    countries: Sequence[str] = ()


def _month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_of(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def add_months(month: str, months: int) -> str:
    return _month_of(_month_number(month) + months)


def months_between(since: str, until: str) -> list[str]:
    return [_month_of(n) for n in range(_month_number(since), _month_number(until) + 1)]


def _period(dimension: Dimension, month: str) -> str:
    if dimension is Dimension.QUARTER:
        return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"
    if dimension is Dimension.YEAR:
        return month[:4]
    return month


def check(query: TrendQuery) -> None:
    """422 for a question that can not be answered as asked."""
    if not 1 <= len(query.by) <= 2 or len(set(query.by)) != len(query.by):
        raise ValidationFailed("by: one or two different dimensions")
    if len(TIME_DIMENSIONS.intersection(query.by)) > 1:
        raise ValidationFailed("by: at most one of month, quarter and year")
    if not query.measures:
        raise ValidationFailed("measure: at least one")
    if Dimension.BAND in query.by:
        unbanded = [m.value for m in query.measures if m not in AMOUNT_MEASURES]
        if unbanded:
            raise ValidationFailed(f"by band: {unbanded[0]} is not an amount; bands count ransoms and assets")
    if query.since > query.until:
        raise ValidationFailed("since: after until")
    if _month_number(query.until) - _month_number(query.since) + 1 > MAX_MONTHS:
        raise ValidationFailed(f"since..until: at most {MAX_MONTHS // 12} years")


def _year(month: Any) -> Any:
    return func.substr(month, 1, 4)


# Each dimension's key, computed by the database (so it groups a few hundred rows, not thousands).
_KEYS: dict[Dimension, Any] = {
    Dimension.COUNTRY: TrendCount.country,
    Dimension.REGION: TrendCount.country + "/" + TrendCount.region,
    Dimension.CATEGORY: TrendCount.category,
    Dimension.BAND: TrendCount.band,
    Dimension.MONTH: TrendCount.month,
    Dimension.QUARTER: _year(TrendCount.month)
    + "-Q"
    + cast((cast(func.substr(TrendCount.month, 6, 2), Integer) + 2) // 3, String),
    Dimension.YEAR: _year(TrendCount.month),
}


def grain_of(query: TrendQuery) -> str:
    """The smallest grain that keeps every dimension the question groups or filters by."""
    wanted = {d.value for d in query.by if d.value in ("country", "region", "category")}
    if "region" in wanted or query.countries:
        wanted.add("country")
    return min(
        (grain for grain, kept in GRAINS.items() if wanted <= kept), key=lambda grain: len(GRAINS[grain])
    )


def _counts(session: Session, query: TrendQuery, measure: Measure) -> Counter[tuple[str, ...]]:
    """The measure's counts by the query's dimensions, from the rows of one grain."""
    keys = [_KEYS[dimension].label(f"key{n}") for n, dimension in enumerate(query.by)]
    statement = select(*keys, func.sum(TrendCount.count)).where(
        TrendCount.measure == measure.value,
        TrendCount.grain == grain_of(query),
        TrendCount.month >= query.since,
        TrendCount.month <= query.until,
    )
    if query.countries:
        statement = statement.where(TrendCount.country.in_(list(query.countries)))
    rows = session.execute(statement.group_by(*keys)).all()
    return Counter({tuple(str(value) for value in row[:-1]): int(row[-1]) for row in rows})


def _keys(dimension: Dimension, found: set[str], query: TrendQuery) -> list[str]:
    if dimension in TIME_DIMENSIONS:  # every period of the range, so a series shows its gaps
        return list(dict.fromkeys(_period(dimension, m) for m in months_between(query.since, query.until)))
    if dimension is Dimension.BAND:
        return [band for band in BAND_ORDER if band in found]
    return sorted(found)


def _shown(key: str, entry: Shown) -> dict[str, Any]:
    return {"key": key, "count": entry.count, "shown": entry.shown}


def table(session: Session, query: TrendQuery, measure: Measure) -> dict[str, Any]:
    counts = _counts(session, query, measure)
    two = len(query.by) == 2
    rows = _keys(query.by[0], {key[0] for key in counts}, query)
    columns = _keys(query.by[1], {key[1] for key in counts}, query) if two else [ONE_DIMENSION]
    cells = {(key[0], key[1] if two else ONE_DIMENSION): n for key, n in counts.items()}
    protected: ProtectedTable = protect(cells, rows, columns, margins=two)
    return {
        "measure": measure,
        "rows_by": query.by[0],
        "columns_by": query.by[1] if two else None,
        "rows": rows,
        "columns": columns,
        "cells": [
            {"row": row, "column": column, "count": entry.count, "shown": entry.shown}
            for (row, column), entry in protected.cells.items()
        ],
        "row_totals": [_shown(key, entry) for key, entry in protected.row_totals.items()],
        "column_totals": [_shown(key, entry) for key, entry in protected.column_totals.items()],
        "total": _shown("total", protected.total),
    }


def trends(session: Session, query: TrendQuery) -> dict[str, Any]:
    check(query)
    return {
        "since": query.since,
        "until": query.until,
        "threshold": THRESHOLD,
        "tables": [table(session, query, measure) for measure in dict.fromkeys(query.measures)],
    }
