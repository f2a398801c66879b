"""The console's browser-facing defences: response headers, the signed session cookie, and CSRF.

- Content-Security-Policy allows scripts, styles and connections from the console itself only: no
  inline script or style anywhere (htmx is configured not to inject its indicator style), no framing.
- Every page says `Cache-Control: no-store`: pages carry records, and a shared browser must not keep
  them. Only the static files (the console's own script, style and vendored htmx) may be cached.
- The session cookie holds the session id signed (itsdangerous, HMAC-SHA1 over a key derived from the
  console's secret), HttpOnly, SameSite=Strict, Secure unless the console runs on plain http in
  development; with Secure its name takes the __Host- prefix, so no other host or path can set it.
- Every state-changing request carries the session's CSRF token, in the form (`csrf_token`) or, from
  htmx, in the X-CSRF-Token header; the login form, before any session, carries a token of its own
  signed into a short-lived cookie (double submit).
"""

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cache-control": "no-store",
}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_TOKEN_SECONDS = 15 * 60


class Cookies:
    """The console's cookies: names by whether they are Secure, values signed with the console's secret."""

    def __init__(self, secret: bytes, secure: bool, session_seconds: int) -> None:
        self.secure = secure
        self.session_seconds = session_seconds
        prefix = "__Host-" if secure else ""
        self.session_name = f"{prefix}kix-console"
        self.login_name = f"{prefix}kix-console-login"
        self.flow_name = f"{prefix}kix-console-oidc"
        self._sessions = URLSafeTimedSerializer(secret, salt="kix-console-session")
        self._logins = URLSafeTimedSerializer(secret, salt="kix-console-login")
        self._flows = URLSafeTimedSerializer(secret, salt="kix-console-oidc")

    def session_id(self, request: Request) -> str | None:
        return self._load(self._sessions, request.cookies.get(self.session_name), self.session_seconds)

    def set_session(self, response: Response, session_id: str) -> None:
        self._set(response, self.session_name, self._sessions.dumps(session_id), self.session_seconds)

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            self.session_name, path="/", secure=self.secure, httponly=True, samesite="strict"
        )

    def set_login_token(self, response: Response, token: str) -> None:
        """The signed twin of the login form's token, in a cookie of its own."""
        self._set(response, self.login_name, self._logins.dumps(token), LOGIN_TOKEN_SECONDS)

    def login_token(self, request: Request) -> str | None:
        """The token of the browser's login cookie, while it is valid: a second login page (another tab,
        a reload) shows the same token rather than invalidate the first."""
        return self._load(self._logins, request.cookies.get(self.login_name), LOGIN_TOKEN_SECONDS)

    def login_token_ok(self, request: Request, sent: str | None) -> bool:
        expected = self.login_token(request)
        return bool(expected and sent) and secrets.compare_digest(str(expected), str(sent))

    def set_flow(self, response: Response, kept: dict[str, str], seconds: int) -> None:
        """What an OpenID Connect login keeps between the redirect and the callback. SameSite=Lax: the
        provider's redirect back is a cross-site top-level navigation, which Strict would strip."""
        response.set_cookie(
            self.flow_name,
            self._flows.dumps(kept),
            max_age=seconds,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def flow(self, request: Request, seconds: int) -> dict[str, str] | None:
        value = request.cookies.get(self.flow_name)
        if not value:
            return None
        try:
            kept = self._flows.loads(value, max_age=seconds)
        except BadSignature:
            return None
        return kept if isinstance(kept, dict) else None

    def _set(self, response: Response, name: str, value: str, seconds: int) -> None:
        response.set_cookie(
            name, value, max_age=seconds, path="/", secure=self.secure, httponly=True, samesite="strict"
        )

    @staticmethod
    def _load(serializer: URLSafeTimedSerializer, value: str | None, seconds: int) -> str | None:
        if not value:
            return None
        try:
            loaded = serializer.loads(value, max_age=seconds)
        except BadSignature:  # also SignatureExpired
            return None
        return loaded if isinstance(loaded, str) else None


def csrf_ok(expected: str, request: Request, form_token: str | None) -> bool:
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    return secrets.compare_digest(expected, sent)
