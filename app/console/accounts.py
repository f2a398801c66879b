"""The console's analysts and their sessions, kept at the agency in an embedded SQLite database of the
console's own (not KIX's: the console runs at the agency, KIX at the exchange).

- Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when those grow).
- Supervisors must also give a TOTP code (pyotp, RFC 6238, 30 s steps, one step of drift); a code is
  accepted once (the last accepted step is kept, so a code seen over a shoulder can not be replayed).
- After LOCKOUT_ATTEMPTS failed logins in a row an account is locked for the lockout period; a wrong
  name, a wrong password and a wrong code all count, and all answer the same.
- A session is a random id in the database; the cookie carries it signed (console.web). It ends after
  its idle time without a request, at its absolute lifetime whatever happens, at logout, and when its
  analyst is disabled or reset. Each session holds its own CSRF token.
"""

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, create_engine, delete, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
LOCKOUT_ATTEMPTS = 5
PASSWORD_BYTES = 15  # a new or reset password: 20 URL-safe characters
TOTP_ISSUER = "KIX console"


class Role(StrEnum):
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"


class AccountError(ValueError):
    """An account command that can not be done (an unknown name, a name taken...)."""


class Base(DeclarativeBase):
    pass


class Analyst(Base):
    __tablename__ = "console_analysts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))  # empty: signs in through the provider only
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    analyst: Mapped[str] = mapped_column(ForeignKey("console_analysts.name", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Issued:
    """What an administrator hands to an analyst once: the password, and for a supervisor the TOTP
    secret (and its otpauth:// URI, for an authenticator app)."""

    name: str
    role: Role
    password: str
    totp_secret: str | None
    totp_uri: str | None


@dataclass(frozen=True)
class SignedIn:
    """An open session: who, with what role, and the session's CSRF token."""

    session_id: str
    analyst: str
    role: Role
    csrf_token: str


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Accounts:
    """The analysts and sessions of one console, in `path` (created with its tables if missing)."""

    def __init__(
        self,
        path: Path,
        *,
        idle: timedelta = timedelta(minutes=30),
        absolute: timedelta = timedelta(hours=12),
        lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine: Engine = create_engine(f"sqlite:///{path}")
        event.listen(self.engine, "connect", _foreign_keys_on)
        Base.metadata.create_all(self.engine)
        path.chmod(0o600)  # password hashes and TOTP secrets: the console's user only
        self.idle, self.absolute, self.lockout = idle, absolute, lockout
        self.clock = clock
        self.hasher = PasswordHasher()  # argon2id
        # What a refused name's password is checked against, so it costs what a real check costs.
        self._decoy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    # ------------------------------------------------------------ administration (kix console users)
    def add(self, name: str, role: Role) -> Issued:
        with self._session() as session:
            if session.get(Analyst, name) is not None:
                raise AccountError(f"an analyst named {name!r} exists already")
            analyst = Analyst(name=name, role=role.value, password_hash="", created_at=self.clock())
            session.add(analyst)
            return self._issue(analyst)

    def reset(self, name: str) -> Issued:
        """A new password (and TOTP secret for a supervisor), unlocked and enabled; its sessions end."""
        with self._session() as session:
            analyst = self._existing(session, name)
            analyst.disabled, analyst.failed_logins, analyst.locked_until = False, 0, None
            session.execute(delete(ConsoleSession).where(ConsoleSession.analyst == name))
            return self._issue(analyst)

    def disable(self, name: str) -> None:
        with self._session() as session:
            self._existing(session, name).disabled = True
            session.execute(delete(ConsoleSession).where(ConsoleSession.analyst == name))

    def names(self) -> list[tuple[str, str, bool]]:
        with self._session() as session:
            rows = session.scalars(select(Analyst).order_by(Analyst.name)).all()
            return [(row.name, row.role, row.disabled) for row in rows]

    def _existing(self, session: Session, name: str) -> Analyst:
        analyst = session.get(Analyst, name)
        if analyst is None:
            raise AccountError(f"no analyst named {name!r}")
        return analyst

    def _issue(self, analyst: Analyst) -> Issued:
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        analyst.password_hash = self.hasher.hash(password)
        secret = uri = None
        if analyst.role == Role.SUPERVISOR:
            secret = pyotp.random_base32()
            uri = pyotp.TOTP(secret).provisioning_uri(name=analyst.name, issuer_name=TOTP_ISSUER)
        analyst.totp_secret, analyst.totp_last_step = secret, 0
        return Issued(analyst.name, Role(analyst.role), password, secret, uri)

    # ------------------------------------------------------------ logging in and out
    def log_in(self, name: str, password: str, code: str | None) -> SignedIn | None:
        """A new session, or None: wrong name, password or code, disabled, or locked out."""
        now = self.clock()
        with self._session() as session:
            analyst = session.get(Analyst, name)
            if analyst is None:
                self._burn_time(password)
                return None
            if analyst.disabled or (analyst.locked_until is not None and utc(analyst.locked_until) > now):
                self._burn_time(password)
                return None
            if not (self._password_ok(analyst, password) and self._code_ok(analyst, code, now)):
                analyst.failed_logins += 1
                if analyst.failed_logins >= LOCKOUT_ATTEMPTS:
                    analyst.locked_until, analyst.failed_logins = now + self.lockout, 0
                return None
            analyst.failed_logins, analyst.locked_until = 0, None
            return self._open(session, analyst, now)

    def log_in_external(self, name: str, role: Role) -> SignedIn | None:
        """A session for an analyst the agency's identity provider vouched for (console.oidc): their row
        is made or its role brought in line with the provider's; None when the name is not a valid
        analyst name, is a local password account, or is disabled here."""
        if not re.fullmatch(NAME_PATTERN, name):
            return None
        now = self.clock()
        with self._session() as session:
            analyst = session.get(Analyst, name)
            if analyst is None:
                analyst = Analyst(name=name, role=role.value, password_hash="", created_at=now)
                session.add(analyst)
            elif analyst.password_hash or analyst.disabled:
                return None
            analyst.role = role.value
            return self._open(session, analyst, now)

    def _open(self, session: Session, analyst: Analyst, now: datetime) -> SignedIn:
        opened = ConsoleSession(
            id=secrets.token_urlsafe(32),
            analyst=analyst.name,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
        )
        session.add(opened)
        return SignedIn(opened.id, analyst.name, Role(analyst.role), opened.csrf_token)

    def _burn_time(self, password: str) -> None:
        """Spend what a password check would, so a refused name is not told apart by timing."""
        try:
            self.hasher.verify(self._decoy_hash, password)
        except VerificationError:
            pass

    def _password_ok(self, analyst: Analyst, password: str) -> bool:
        if not analyst.password_hash:  # an account of the identity provider's: no password here
            self._burn_time(password)
            return False
        try:
            self.hasher.verify(analyst.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if self.hasher.check_needs_rehash(analyst.password_hash):
            analyst.password_hash = self.hasher.hash(password)
        return True

    def _code_ok(self, analyst: Analyst, code: str | None, now: datetime) -> bool:
        if analyst.totp_secret is None:
            return True
        if not code:
            return False
        totp = pyotp.TOTP(analyst.totp_secret)
        for drift in (0, -1, 1):
            step = totp.timecode(now) + drift
            if step > analyst.totp_last_step and secrets.compare_digest(
                totp.generate_otp(step), code.strip()
            ):
                analyst.totp_last_step = step
                return True
        return False

    def current(self, session_id: str, touch: bool = True) -> SignedIn | None:
        """The session, still open, or None; with `touch`, its idle time restarts (a request by the
        analyst, not a live stream they merely watch)."""
        now = self.clock()
        with self._session() as session:
            found = session.get(ConsoleSession, session_id)
            if found is None:
                return None
            analyst = session.get(Analyst, found.analyst)
            expired = utc(found.last_seen) + self.idle <= now or utc(found.created_at) + self.absolute <= now
            if analyst is None or analyst.disabled or expired:
                session.delete(found)
                return None
            if touch:
                found.last_seen = now
            return SignedIn(found.id, analyst.name, Role(analyst.role), found.csrf_token)

    def log_out(self, session_id: str) -> None:
        with self._session() as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


def _foreign_keys_on(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
