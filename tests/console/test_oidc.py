"""Logging in through the agency's OpenID Connect provider: the code flow with PKCE, and every check on
what comes back (state, the ID token's signature, issuer, audience, expiry, nonce), the supervisor group,
and that the provider can neither take over a local account nor let in someone disabled here."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio.from_thread
import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey

from app.console.accounts import Accounts, Role
from app.console.oidc import OidcSettings
from app.console.web import create_console
from tests.asgi import SyncASGITransport
from tests.console.conftest import CONSOLE_URL, OWNER, console_config
from tests.console.identity_provider import CLIENT_ID, CLIENT_SECRET, ISSUER, Provider

CALLBACK = f"{CONSOLE_URL}/login/oidc/callback"


class Sign:
    """A browser at the console, and the provider it is sent to."""

    def __init__(self, browser: TestClient, provider: Provider, idp: TestClient, accounts: Accounts) -> None:
        self.browser, self.provider, self.idp, self.accounts = browser, provider, idp, accounts

    def through_provider(self, *, state: str | None = None) -> httpx.Response:
        """Start at the console, let the provider log the user in, come back with its answer."""
        sent = self.browser.get("/login/oidc", follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"].startswith(f"{ISSUER}/authorize?")
        back = self.idp.get(sent.headers["location"].removeprefix(ISSUER), follow_redirects=False)
        assert back.status_code in (302, 307), back.text
        location = back.headers["location"]
        if state is not None:
            query = parse_qs(urlsplit(location).query)
            location = f"{CALLBACK}?code={query['code'][0]}&state={state}"
        return self.browser.get(location.removeprefix(CONSOLE_URL), follow_redirects=False)

    def signed_in_as(self) -> str | None:
        inbox = self.browser.get("/", follow_redirects=False)
        if inbox.status_code != 200:
            return None
        start = inbox.text.index('<div class="who">')
        return inbox.text[start : inbox.text.index("</span>", start)].split("<span>")[1]


@pytest.fixture
def sign(enrol: Any, server_jwks: dict[str, Any], http: httpx.Client, tmp_path: Path) -> Iterator[Sign]:
    owner = enrol(OWNER)
    config = console_config(
        owner,
        server_jwks,
        tmp_path,
        OidcSettings(ISSUER, CLIENT_ID, CLIENT_SECRET, CALLBACK, supervisor_group="kix-supervisors"),
    )
    provider = Provider(redirect_url=CALLBACK)
    idp_app = provider.app()
    with anyio.from_thread.start_blocking_portal() as portal:
        app = create_console(config, kix_http=http, oidc_transport=SyncASGITransport(idp_app, portal))
        with TestClient(app, base_url=CONSOLE_URL) as browser, TestClient(idp_app, base_url=ISSUER) as idp:
            yield Sign(browser, provider, idp, app.state.accounts)
        app.state.accounts.close()


def test_the_provider_logs_an_analyst_in(sign: Sign) -> None:
    assert "identity provider" in sign.browser.get("/login").text
    answer = sign.through_provider()
    assert answer.status_code == 200  # a page that moves on: a redirect would lose the Strict cookie
    assert 'http-equiv="refresh"' in answer.text
    assert sign.signed_in_as() == "olga (analyst)"
    assert sign.accounts.names() == [("olga", "analyst", False)]


def test_the_supervisor_group_makes_a_supervisor_and_the_role_follows_the_provider(sign: Sign) -> None:
    sign.provider.user = {"preferred_username": "Sam", "groups": ["kix-supervisors", "staff"]}
    sign.through_provider()
    assert sign.signed_in_as() == "sam (supervisor)"
    sign.provider.user = {"preferred_username": "Sam", "groups": ["staff"]}
    sign.through_provider()
    assert sign.signed_in_as() == "sam (analyst)"


@pytest.mark.parametrize(
    "tamper",
    [
        {"aud": "another-client"},
        {"iss": "https://evil.test"},
        {"nonce": "not-the-nonce"},
        {"exp": 1_000_000_000, "iat": 999_999_000},
        {"aud": [CLIENT_ID, "another-client"]},  # several audiences and no azp naming the console
        {"preferred_username": "not a valid name!"},
    ],
)
def test_an_id_token_that_fails_a_check_lets_nobody_in(sign: Sign, tamper: dict[str, Any]) -> None:
    sign.provider.tamper = tamper
    answer = sign.through_provider()
    assert answer.status_code == 401
    assert "was not accepted" in answer.text
    assert sign.signed_in_as() is None


def test_a_token_signed_by_another_key_is_refused(sign: Sign) -> None:
    sign.provider.forger = ECKey.generate_key("P-256", parameters={"kid": "idp-1"})  # same kid, not published
    assert sign.through_provider().status_code == 401
    assert sign.signed_in_as() is None


def test_a_forged_state_is_refused(sign: Sign) -> None:
    assert sign.through_provider(state="forged").status_code == 401
    assert sign.signed_in_as() is None


def test_the_provider_can_not_take_over_a_local_account_or_let_in_someone_disabled(sign: Sign) -> None:
    sign.accounts.add("olga", Role.ANALYST)  # a local account with a password
    assert sign.through_provider().status_code == 401
    sign.provider.user = {"preferred_username": "petra", "groups": []}
    assert sign.through_provider().status_code == 200
    sign.accounts.disable("petra")
    assert sign.signed_in_as() is None
    assert sign.through_provider().status_code == 401


def test_an_account_of_the_provider_has_no_password_here(sign: Sign) -> None:
    sign.through_provider()
    fresh = TestClient(sign.browser.app, base_url=CONSOLE_URL)
    page = fresh.get("/login")
    token = page.text.split('name="login_token" value="')[1].split('"')[0]
    for password in ("", "x"):
        form = {"name": "olga", "password": password, "login_token": token}
        assert fresh.post("/login", data=form, follow_redirects=False).status_code in (401, 422)


def test_an_unreachable_provider_is_said_so_on_the_login_page(
    enrol: Any, server_jwks: dict[str, Any], http: httpx.Client, tmp_path: Path
) -> None:
    owner = enrol(OWNER)
    config = console_config(
        owner, server_jwks, tmp_path, OidcSettings(ISSUER, CLIENT_ID, CLIENT_SECRET, CALLBACK)
    )

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_console(config, kix_http=http, oidc_transport=httpx.MockTransport(down))
    with TestClient(app, base_url=CONSOLE_URL) as browser:
        answer = browser.get("/login/oidc", follow_redirects=False)
        assert answer.status_code == 502
        assert "can not be reached" in answer.text
    app.state.accounts.close()
