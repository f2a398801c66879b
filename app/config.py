"""Settings, read once from the environment (prefix KIX_) and passed down; no module-level globals."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./kix.db"


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
    # Hit/no-hit queries an agency may make per hour: enough for casework, not for dictionary fishing.
    match_budget_per_hour: int = Field(default=120, ge=1)

    @property
    def is_production(self) -> bool:
        return self.env == "production"
