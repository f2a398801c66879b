"""Logging in through the agency's identity provider (OpenID Connect), the alternative to the console's
own accounts: the authorization code flow with PKCE (authlib's OAuth 2 client over httpx), and the ID
token checked with joserfc against the provider's published keys (signature, issuer, audience, expiry,
nonce, and azp when there are several audiences).

The provider names the analyst (`preferred_username` by default) and says whether they are a supervisor
(membership of a configured group in the `groups` claim). The console keeps an account row for them, with
no password, so that an administrator can still disable them here; a name that already has a local
password account is refused, so the provider can not take over a local account.

What the browser carries between the redirect and the callback (state, nonce, PKCE verifier) is kept in
a short-lived signed cookie, checked at the callback.
"""

import secrets
import time
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"]
FLOW_SECONDS = 600  # from the redirect to the provider to the callback
LEEWAY_SECONDS = 60


class OidcRefused(Exception):
    """The provider's answer can not be trusted, or names nobody the console may let in."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str  # the console's own callback URL, as registered with the provider
    supervisor_group: str | None = None
    name_claim: str = "preferred_username"
    groups_claim: str = "groups"


@dataclass(frozen=True)
class Identity:
    name: str
    supervisor: bool


class OidcLogin:
    """The flow against one provider. `transport` replaces the HTTP transport to it (tests bind it to a
    provider in process)."""

    def __init__(self, settings: OidcSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport

    def _client(self) -> Any:
        # Imported here: only a console with a provider loads it. authlib warns on import that it will
        # move to httpx2; that is its own transition, not something this console can act on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from authlib.integrations.httpx_client import OAuth2Client
        return OAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scope="openid profile",
            redirect_uri=self.settings.redirect_url,
            code_challenge_method="S256",
            transport=self.transport,
            timeout=10.0,
        )

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once), which must name the configured issuer."""
        url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        with self._client() as client:
            found: dict[str, Any] = client.request("GET", url, withhold_token=True).raise_for_status().json()
        if found.get("issuer") != self.settings.issuer:
            raise OidcRefused("the provider's discovery document names another issuer")
        return found

    def start(self) -> tuple[str, dict[str, str]]:
        """The provider's authorization URL to send the browser to, and what to keep until it returns."""
        verifier, nonce = generate_token(48), secrets.token_urlsafe(24)
        with self._client() as client:
            url, state = client.create_authorization_url(
                self.metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier
            )
        return url, {"state": state, "nonce": nonce, "verifier": verifier, "started": str(int(time.time()))}

    def finish(self, params: dict[str, str], kept: dict[str, str] | None) -> Identity:
        """The analyst the provider vouches for, after checking everything it sent."""
        if kept is None or int(kept.get("started", "0")) + FLOW_SECONDS < time.time():
            raise OidcRefused("the login took too long or did not start here")
        if "error" in params:
            raise OidcRefused(f"the provider refused: {params.get('error')}")
        if not secrets.compare_digest(params.get("state", ""), kept["state"]):
            raise OidcRefused("the state does not match")
        with self._client() as client:
            try:
                token = client.fetch_token(
                    self.metadata["token_endpoint"],
                    code=params.get("code", ""),
                    code_verifier=kept["verifier"],
                )
            except (OAuthError, httpx.HTTPError) as exc:
                raise OidcRefused(f"the token endpoint refused the code: {exc}") from exc
            published = (
                client.request("GET", self.metadata["jwks_uri"], withhold_token=True)
                .raise_for_status()
                .json()
            )
            keys = KeySet.import_key_set(published)
        return self._identity(self._claims(token.get("id_token", ""), kept["nonce"], keys))

    def _claims(self, id_token: str, nonce: str, keys: KeySet) -> dict[str, Any]:
        try:
            decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True},
                iat={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise OidcRefused(f"the ID token is not valid: {exc}") from exc
        claims: dict[str, Any] = decoded.claims
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcRefused("the ID token is for several parties, and not authorised for this console")
        return claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        name = claims.get(self.settings.name_claim)
        if not isinstance(name, str) or not name:
            raise OidcRefused(f"the ID token has no {self.settings.name_claim}")
        groups = claims.get(self.settings.groups_claim) or []
        supervisor = bool(self.settings.supervisor_group) and self.settings.supervisor_group in groups
        return Identity(name.lower(), supervisor)
