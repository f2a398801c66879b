"""Budgets that refill continuously (token buckets), kept in the database so that every node and worker
spends from the same one: check-and-spend under the bucket's row lock, so concurrent requests can never
overspend. Hit/no-hit queries spend from one per agency, and every request from its key's and its
agency's rate limits."""

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    Connection,
    Float,
    String,
    Update,
    bindparam,
    extract,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.errors import RateLimited, ValidationFailed
from app.models import TokenBucket


@dataclass(frozen=True)
class Budget:
    capacity: float  # the most that can be spent at once, and what a fresh bucket holds
    per_second: float  # how fast it refills

    @classmethod
    def per_hour(cls, units: int) -> "Budget":
        return cls(capacity=float(units), per_second=units / 3600)


@dataclass(frozen=True)
class Draw:
    """`cost` units from the bucket `key`; `what` names the budget in a refusal."""

    key: str
    cost: int
    budget: Budget
    what: str


def spend(session: Session, key: str, cost: int, budget: Budget, now: datetime, *, what: str) -> int:
    """Take `cost` units from the bucket `key`, or refuse (429 with Retry-After) and take nothing.
    Returns the whole units left. `what` names the budget in the refusal."""
    return spend_all(session, [Draw(key, cost, budget, what)], now)[0]


def spend_all(session: Session | Connection, draws: Sequence[Draw], now: datetime) -> list[int]:
    """Take every draw, or refuse (429, naming the first budget short) and take none. Returns the whole
    units left in each.

    Each draw is one statement that refills the bucket to `now` and takes from it only if it holds enough
    (an upsert whose update is conditional), so a bucket's row is locked for one statement and the commit,
    never while Python runs: many requests of one key contend for that row. A later draw refused gives
    back what the earlier ones took."""
    for draw in draws:
        if draw.cost > draw.budget.capacity:
            raise ValidationFailed(
                f"this needs {draw.cost} units of the {draw.what}, more than it ever holds "
                f"({draw.budget.capacity:g})"
            )
    taken: list[float | None] = []
    for draw in draws:
        taken.append(_take(session, draw, now))
        if taken[-1] is None:
            break
    return settle(session, draws, taken, now)


def settle(
    session: Session | Connection, draws: Sequence[Draw], taken: Sequence[float | None], now: datetime
) -> list[int]:
    """The whole units each draw left, when every one of `draws` was taken (`taken` holds the tokens
    each left, None where it was refused or not tried). Otherwise give back those taken and refuse
    (429), naming the first budget short."""
    if len(taken) == len(draws) and None not in taken:
        return [math.floor(tokens) for tokens in taken if tokens is not None]
    for draw, tokens in zip(draws, taken, strict=False):
        if tokens is not None:
            _give_back(session, draw)
    short = next(draw for draw, tokens in itertools.zip_longest(draws, taken) if tokens is None)
    raise _refusal(session, short, now)


def _connection(executor: Session | Connection) -> Connection:
    return executor.connection() if isinstance(executor, Session) else executor


@dataclass(frozen=True)
class _Binds:
    """A draw's values in a statement, bound under names of their own (`prefix`), so that one statement
    can take several draws."""

    key: BindParameter[str]
    cost: BindParameter[float]
    capacity: BindParameter[float]
    per_second: BindParameter[float]
    refill_to: BindParameter[datetime]

    @classmethod
    @functools.cache
    def named(cls, prefix: str) -> "_Binds":
        """Made once per prefix: a request's admission asks for them on every request."""
        return cls(
            key=bindparam(f"{prefix}bucket_key", type_=String),
            cost=bindparam(f"{prefix}draw_cost", type_=Float),
            capacity=bindparam(f"{prefix}bucket_capacity", type_=Float),
            per_second=bindparam(f"{prefix}refill_rate", type_=Float),
            refill_to=bindparam(f"{prefix}refill_to", type_=TokenBucket.updated_at.type),
        )

    def values(self, draw: Draw, now: datetime | None = None) -> dict[str, object]:
        """`draw`'s values, and `now` to refill to (a draw taken; giving back needs none)."""
        values: dict[str, object] = {
            self.key.key: draw.key,
            self.cost.key: float(draw.cost),
            self.capacity.key: draw.budget.capacity,
            self.per_second.key: draw.budget.per_second,
        }
        return values if now is None else values | {self.refill_to.key: now}


# The statements are built once per dialect, with every value bound: building SQLAlchemy expressions
# costs more CPU than running them, and each request takes two buckets.
_BINDS = _Binds.named("")


def _refilled(dialect: str, now: ColumnElement[datetime], binds: _Binds) -> ColumnElement[float]:
    """The bucket's tokens refilled from its updated_at to `now`, in SQL, capped at its capacity."""
    if dialect == "postgresql":
        elapsed = func.greatest(0.0, extract("epoch", now - TokenBucket.updated_at))
        return func.least(binds.capacity, TokenBucket.tokens + elapsed * binds.per_second)
    days = func.julianday(now) - func.julianday(TokenBucket.updated_at)
    return func.min(binds.capacity, TokenBucket.tokens + func.max(0.0, days * 86400.0) * binds.per_second)


def _taking_on_conflict(
    dialect: str, fresh: PgInsert | SqliteInsert, binds: _Binds
) -> ReturningInsert[tuple[float]]:
    """`fresh` (a new bucket less the cost), or else refill the bucket and take the cost if it holds
    enough: the tokens left, or no row."""
    refilled = _refilled(dialect, fresh.excluded.updated_at, binds)
    taking = fresh.on_conflict_do_update(
        index_elements=[TokenBucket.key],
        set_={"tokens": refilled - binds.cost, "updated_at": fresh.excluded.updated_at},
        where=refilled >= binds.cost,
    )
    return taking.returning(TokenBucket.tokens)


@functools.cache
def _taking(dialect: str) -> ReturningInsert[tuple[float]]:
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    fresh = dialect_insert(TokenBucket).values(
        key=_BINDS.key, tokens=_BINDS.capacity - _BINDS.cost, updated_at=_BINDS.refill_to
    )
    return _taking_on_conflict(dialect, fresh, _BINDS)


def taking_after(gate: CTE, prefix: str) -> CTE:
    """PostgreSQL: a draw taken inside another statement, as one of its common table expressions, and
    only if `gate` returns a row (a request's admission takes its rate limits once its nonce is
    claimed). Its values are bound under `prefix` (draw_values gives them). Its column `tokens` holds
    what the draw left; it has no row where the bucket is short, or where `gate` had none."""
    binds = _Binds.named(prefix)
    fresh = postgresql_insert(TokenBucket).from_select(
        ["key", "tokens", "updated_at"],
        select(binds.key, binds.capacity - binds.cost, binds.refill_to).select_from(gate),
    )
    return _taking_on_conflict("postgresql", fresh, binds).cte(f"{prefix}taken")


def draw_values(draw: Draw, prefix: str, now: datetime) -> dict[str, object]:
    """The values of taking_after(…, `prefix`): take `draw`, refilling the bucket to `now`."""
    return _Binds.named(prefix).values(draw, now)


@functools.cache
def _giving_back(dialect: str) -> Update:
    capped = func.least if dialect == "postgresql" else func.min  # never above the capacity
    return (
        update(TokenBucket)
        .where(TokenBucket.key == _BINDS.key)
        .values(tokens=capped(_BINDS.capacity, TokenBucket.tokens + _BINDS.cost))
    )


def _take(session: Session | Connection, draw: Draw, now: datetime) -> float | None:
    """Take the draw if the bucket holds enough: the tokens left, or None (nothing taken)."""
    connection = _connection(session)
    row = connection.execute(_taking(connection.dialect.name), _BINDS.values(draw, now)).first()
    return None if row is None else float(row.tokens)


def _give_back(session: Session | Connection, draw: Draw) -> None:
    connection = _connection(session)
    connection.execute(_giving_back(connection.dialect.name), _BINDS.values(draw))


def _refusal(session: Session | Connection, draw: Draw, now: datetime) -> RateLimited:
    """429 with when to come back, from the bucket as it stands (read without a lock: an estimate)."""
    bucket = session.execute(
        select(TokenBucket.tokens, TokenBucket.updated_at).where(TokenBucket.key == draw.key)
    ).one()
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    tokens = min(draw.budget.capacity, bucket.tokens + elapsed * draw.budget.per_second)
    wait = max(1, math.ceil((draw.cost - tokens) / draw.budget.per_second))
    return RateLimited(
        f"the {draw.what} is spent: this needs {draw.cost} units, {math.floor(tokens)} are left",
        headers={"Retry-After": str(wait)},
        extra={"remaining_budget": math.floor(tokens), "cost": draw.cost, "retry_after": wait},
    )
