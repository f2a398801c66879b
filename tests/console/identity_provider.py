"""A small OpenID Connect provider for the console's tests: discovery, an authorization endpoint that
logs in whoever the test names (no login form), a token endpoint that enforces the client's secret, the
code's single use, its redirect URI and PKCE (S256), and its published keys. `tamper` changes the next
ID token's claims, to prove the console checks each one."""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

ISSUER = "https://idp.agency.test"
CLIENT_ID = "kix-console"
CLIENT_SECRET = "a-secret-the-console-holds"  # noqa: S105 - a test provider's


@dataclass
class Provider:
    redirect_url: str
    user: dict[str, Any] = field(default_factory=lambda: {"preferred_username": "olga", "groups": []})
    tamper: dict[str, Any] = field(default_factory=dict)
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "idp-1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    forger: ECKey | None = None  # signs the ID tokens instead of the published key, when set

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = (
            {
                "iss": ISSUER,
                "sub": f"user-{self.user['preferred_username']}",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": nonce,
            }
            | self.user
            | self.tamper
        )
        claims = {name: value for name, value in claims.items() if value is not None}
        signer = self.forger or self.key
        return jwt.encode({"alg": "ES256", "kid": "idp-1"}, claims, signer, algorithms=["ES256"])

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            published: dict[str, Any] = dict(KeySet([self.key]).as_dict(private=False))
            return published

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") != self.redirect_url:
                raise HTTPException(400, "unknown client or redirect")
            if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
                raise HTTPException(400, "the code flow with PKCE only")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": query.get("nonce", ""), "challenge": query["code_challenge"]}
            return RedirectResponse(
                f"{self.redirect_url}?{urlencode({'code': code, 'state': query['state']})}"
            )

        @app.post("/token")
        def token(
            request: Request,
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            grant_type: Annotated[str, Form()],
        ) -> JSONResponse:
            header = request.headers.get("authorization", "")
            sent = base64.b64decode(header[6:]).decode() if header.lower().startswith("basic ") else ""
            if sent != f"{CLIENT_ID}:{CLIENT_SECRET}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            issued = self.codes.pop(code, None)  # a code is good once
            if issued is None or grant_type != "authorization_code" or redirect_uri != self.redirect_url:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if challenge.decode() != issued["challenge"]:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.id_token(issued["nonce"]),
                }
            )

        return app
