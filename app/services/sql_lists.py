"""Testing a column against a list of values, as each database does it best, in statements built once."""

from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import QueryableAttribute


def among(
    postgres: bool, column: ColumnElement[Any] | QueryableAttribute[Any], name: str
) -> ColumnElement[bool]:
    """`column IN :name`, the list given as the parameter `name` at each execution. On PostgreSQL
    `column = ANY(:name)`, one array parameter: the statement's text is then the same whatever the number
    of values, so the driver prepares it once, instead of parsing and binding hundreds of placeholders
    anew (a hit/no-hit query tests some 700 candidate ids). On SQLite, an expanding IN list."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))
