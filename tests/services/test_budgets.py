"""Token buckets drawn together (services.budgets.spend_all, as a request draws on its key's and its
agency's rate limits): every draw is taken, or none is; the refusal names the first budget short; and
each bucket refills with time."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import Database
from app.errors import RateLimited
from app.models import TokenBucket
from app.models.base import utcnow
from app.services.budgets import Budget, Draw, spend_all


def _tokens(db: Database, key: str) -> float:
    with db.sessions() as session:
        return float(session.scalar(select(TokenBucket.tokens).where(TokenBucket.key == key)) or 0)


def test_draws_are_taken_together_or_not_at_all(db: Database) -> None:
    now = utcnow()
    wide, narrow = Budget(capacity=10, per_second=0.001), Budget(capacity=3, per_second=0.001)
    draws = [Draw("test:wide", 2, wide, "wide budget"), Draw("test:narrow", 2, narrow, "narrow budget")]
    with db.transaction() as session:
        assert spend_all(session, draws, now) == [8, 1]
    # The narrow bucket holds 1: refused, and the wide one's 2 given back. The refusal is caught inside
    # the transaction, which commits, as a request's admission does (its nonce stays claimed).
    with db.transaction() as session, pytest.raises(RateLimited) as refused:
        spend_all(session, draws, now)
    assert "narrow budget" in str(refused.value)
    assert (_tokens(db, "test:wide"), _tokens(db, "test:narrow")) == (8, 1)
    # Refused first, the second taken: given back too.
    reversed_draws = list(reversed(draws))
    with db.transaction() as session, pytest.raises(RateLimited):
        spend_all(session, reversed_draws, now)
    assert (_tokens(db, "test:wide"), _tokens(db, "test:narrow")) == (8, 1)
    # An hour on, both refilled to their capacity, less this draw.
    with db.transaction() as session:
        assert spend_all(session, draws, now + timedelta(hours=1)) == [8, 1]
