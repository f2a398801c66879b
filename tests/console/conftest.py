"""The console at an agency (de-bka), bound to the real KIX app in process, with a second agency
(it-dcsa) beside it. The console is reached as a browser would (TestClient over https, so its Secure
cookies are kept); its calls to KIX go through the SDK over the in-process client."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from app.console.accounts import Accounts, Issued, Role
from app.console.config import ConsoleConfig, console_secret
from app.console.oidc import OidcSettings
from app.console.web import create_console
from tests.conftest import Member, sqlite_copy

CONSOLE_URL = "https://console.test"
OWNER, OTHER = "de-bka", "it-dcsa"
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
# Every page of the menu (and the new-alert form): what each page-wide test walks through.
PAGES = ["/", "/alerts", "/suspects", "/leads", "/match", "/requests", "/crises", "/cases", "/trends"]
PAGES += ["/directory", "/access", "/alerts/new"]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the console's tests are about the console; KIX's own run on both backends."""
    return sqlite_copy(tmp_path, sqlite_template)


@dataclass
class ConsoleClock:
    """The console's clock (sessions, lockouts), moved forward by tests of expiry."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Console:
    browser: TestClient
    accounts: Accounts
    clock: ConsoleClock
    owner: Member
    other: Member
    make_browser: Callable[[], TestClient]

    def add(self, name: str, role: Role = Role.ANALYST) -> Issued:
        return self.accounts.add(name, role)

    def log_in(
        self, issued: Issued, browser: TestClient | None = None, code: str | None = None
    ) -> httpx.Response:
        browser = browser or self.browser
        page = browser.get("/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token, page.text[:500]
        if code is None and issued.totp_secret:
            code = pyotp.TOTP(issued.totp_secret).now()
        form = {
            "name": issued.name,
            "password": issued.password,
            "code": code or "",
            "login_token": token.group(1),
        }
        return browser.post("/login", data=form, follow_redirects=False)

    def signed_in(self, name: str, role: Role = Role.ANALYST, browser: TestClient | None = None) -> Issued:
        issued = self.add(name, role)
        answer = self.log_in(issued, browser)
        assert answer.status_code == 303, answer.text[:500]
        return issued


def csrf_of(page: httpx.Response) -> str:
    found = CSRF_TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def console_config(
    owner: Member, server_jwks: dict[str, Any], tmp_path: Path, oidc: OidcSettings | None = None
) -> ConsoleConfig:
    """A console for `owner`, against the in-process KIX, its data in a fresh folder under `tmp_path`."""
    data_dir = tmp_path / "console"
    data_dir.mkdir()
    return ConsoleConfig(
        kix_url="http://kix.test",
        key=owner.key,
        server_jwks=server_jwks,
        data_dir=data_dir,
        secret=console_secret(data_dir),
        oidc=oidc,
    )


@pytest.fixture
def console(enrol: Any, server_jwks: dict[str, Any], http: httpx.Client, tmp_path: Path) -> Iterator[Console]:
    owner: Member = enrol(OWNER)
    other: Member = enrol(OTHER)
    config = console_config(owner, server_jwks, tmp_path)
    clock = ConsoleClock()
    app = create_console(config, kix_http=http, clock=clock)
    browsers: list[TestClient] = []

    def make_browser() -> TestClient:
        browser = TestClient(app, base_url=CONSOLE_URL)
        browsers.append(browser)
        return browser

    yield Console(make_browser(), app.state.accounts, clock, owner, other, make_browser)
    for browser in browsers:
        browser.close()
    app.state.accounts.close()
