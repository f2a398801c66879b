"""Settings, read once from the environment (prefix KIX_) and passed down; no module-level globals."""

import stat
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_SQLITE_URL = "sqlite:///./kix.db"
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class ConfigurationError(RuntimeError):
    """The settings can not be served safely (plaintext in production, files readable by others...)."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIX_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    keys_dir: Path = Path("./kix-keys")
    # Development only: accept plain JSON bodies beside JWE. Refused in production.
    allow_plaintext: bool = False
    # Origin (scheme://host[:port]) clients use to reach this service, when it sits behind a proxy
    # that changes the scheme or host; "@target-uri" is rebuilt from it. Empty: taken from the request.
    public_url: str = ""
    signature_max_age_seconds: int = Field(default=60, ge=1, le=3600)
    signature_max_skew_seconds: int = Field(default=10, ge=0, le=300)
    nonce_max_length: int = Field(default=64, ge=16, le=256)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    # Values an agency may test by hit/no-hit per hour (each name, document, account... costs one):
    # enough for casework, not for dictionary fishing.
    match_budget_per_hour: int = Field(default=120, ge=1)
    # Requests per minute a key may make, by class of route (its agency: this times the factor, across
    # all its keys). 0 turns rate limiting off (development and benchmarks only).
    rate_limit_reads_per_minute: int = Field(default=1200, ge=0)
    rate_limit_writes_per_minute: int = Field(default=300, ge=0)
    rate_limit_matches_per_minute: int = Field(default=120, ge=0)
    rate_limit_admin_per_minute: int = Field(default=120, ge=0)
    rate_limit_agency_factor: int = Field(default=3, ge=1, le=100)
    # Retention: a record past its review date is hidden from every agency but its owner after the
    # grace period, and purged this many days after that, unless its owner extends it (with a reason).
    retention_grace_days: int = Field(default=30, ge=0, le=365)
    retention_purge_after_days: int = Field(default=90, ge=0, le=3650)
    # How long a stored answer to a POST with an Idempotency-Key is replayed to retries.
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Run the periodic jobs and webhook deliveries in each API worker (leases pick one). Off when
    # `kix worker` runs them apart.
    scheduler: bool = True
    # Webhooks: attempts before a delivery is dead (and its endpoint paused), the first retry's delay
    # (doubling after), the receiver's time to answer, and a CA bundle for receivers with private CAs.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_retry_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_ca_file: Path | None = None

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_ttl_hours)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check_file_modes(self) -> None:
        """In production, refuse a SQLite database (or its WAL, shared-memory or journal file) or a key
        file that others than its owner may read: they hold every record and every key."""
        if not self.is_production:
            return
        candidates = [path for path in self.keys_dir.glob("*.json")] if self.keys_dir.is_dir() else []
        database = sqlite_path(self.database_url)
        if database is not None:
            candidates += [database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS]
        for path in candidates:
            if path.exists() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                mode = oct(path.stat().st_mode & 0o777)
                raise ConfigurationError(f"{path} is readable by others (mode {mode}); chmod 600 it")
