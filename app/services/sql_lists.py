"""Testing a column against a list of values, as each database does it best."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import QueryableAttribute, Session

from app.services.sequencing import is_postgres


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL `column = ANY(:values)`, with the values as one array parameter:
    the statement's text is then the same whatever their number, so the driver prepares it once, instead
    of parsing and binding hundreds of placeholders anew (a hit/no-hit query tests some 700 candidate
    ids). On SQLite, an IN list."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
