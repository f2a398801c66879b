"""Time, injectable: services take `now` from a Clock, so deadline, expiry and retention tests set the
time instead of sleeping."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """The system's time moved by an offset that tests change: time still runs, so everything that
    reads the wall clock directly stays consistent, and a test skips ahead a day without sleeping."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def timestamp(self) -> float:
        """Seconds since the epoch, for clients signing requests on this clock."""
        return self.now().timestamp()

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
