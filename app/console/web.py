"""The console's web application: `create_console(config)` -> a FastAPI app serving server-rendered pages.

Every page that shows or changes data calls KIX through the SDK as the agency, with kix-actor set to the
signed-in analyst (`Desk.kix`): the console holds no records of its own and shows only what KIX answered
to this agency. What KIX refuses comes back as its RFC 9457 problem, shown on the page (next to the form
field it names, for a 422).

Request flow: the security headers and the language are set for every response (`_guard`); a page
depends on `desk` (a signed-in analyst, else a redirect to /login), a state-changing route on
`desk_with_csrf` (the session's CSRF token, else 403), a supervisor-only action on `supervisor`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.client import KixClient
from app.client.codec import KixProblem
from app.console import i18n
from app.console.accounts import Accounts, Role, SignedIn
from app.console.config import ConsoleConfig
from app.console.oidc import OidcLogin
from app.console.security import CSRF_FIELD, PAGE_HEADERS, Cookies, csrf_ok

HERE = Path(__file__).parent
STATIC_CACHE = "public, max-age=3600"


class NotSignedIn(Exception):
    """No open session: the browser is sent to the login page."""


class Refused(Exception):
    """The console refuses the request itself (a missing CSRF token, a role the analyst lacks)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Desk:
    """A signed-in analyst, and the KIX client that speaks for them."""

    who: SignedIn
    kix: KixClient
    agency: str  # the agency the console speaks for

    @property
    def is_supervisor(self) -> bool:
        return self.who.role == Role.SUPERVISOR


def templates_for() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["moment"] = i18n.moment
    environment.filters["number"] = i18n.number
    environment.filters["shown"] = i18n.shown
    return Jinja2Templates(env=environment)


def create_console(
    config: ConsoleConfig,
    *,
    kix_http: httpx.Client | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    oidc_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The console for `config`. `kix_http` replaces the HTTP client to KIX and `oidc_transport` the
    transport to the identity provider (tests bind them to apps in process); `clock` dates sessions and
    lockouts (tests move it)."""
    app = FastAPI(title="KIX console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.accounts = Accounts(
        config.accounts_path, idle=config.idle, absolute=config.absolute, lockout=config.lockout, clock=clock
    )
    app.state.cookies = Cookies(config.secret, config.secure_cookies, int(config.absolute.total_seconds()))
    app.state.templates = templates_for()
    app.state.kix_http = kix_http or httpx.Client(timeout=config.timeout_seconds)
    app.state.agency = None
    app.state.oidc = OidcLogin(config.oidc, oidc_transport) if config.oidc else None
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        cookie = request.cookies.get(i18n.LANGUAGE_COOKIE)
        i18n.use(i18n.choose(cookie, request.headers.get("accept-language"), config.default_locale))
        response = await call_next(request)
        response.headers.update(PAGE_HEADERS)
        if request.url.path.startswith("/static/"):
            response.headers["cache-control"] = STATIC_CACHE
        return response

    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _exc: NotSignedIn) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"hx-redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return render(request, "refused.html", {"message": exc.message}, status=exc.status)

    @app.exception_handler(KixProblem)
    async def _problem(request: Request, exc: KixProblem) -> Response:
        status = exc.status if exc.status in (403, 404, 409, 410, 412, 422, 429) else 502
        template = "_problem.html" if request.headers.get("hx-request") else "problem.html"
        return render(request, template, {"problem": exc.problem, "status": exc.status}, status=status)

    # Imported here: the pages import this module's dependencies and render().
    from app.console.pages import register

    register(app)
    return app


# ---------------------------------------------------------------- dependencies
def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def cookies_of(request: Request) -> Cookies:
    cookies: Cookies = request.app.state.cookies
    return cookies


def signed_in(request: Request) -> SignedIn:
    session_id = cookies_of(request).session_id(request)
    who = accounts_of(request).current(session_id) if session_id else None
    if who is None:
        raise NotSignedIn
    return who


def desk(request: Request, who: Annotated[SignedIn, Depends(signed_in)]) -> Desk:
    config: ConsoleConfig = request.app.state.config
    client = KixClient(
        config.kix_url,
        config.key,
        config.server_jwks,
        actor=who.analyst,
        http_client=request.app.state.kix_http,
    )
    if request.app.state.agency is None:  # asked once: the key is the agency's for the console's life
        request.app.state.agency = client.whoami()["agency_id"]
    return Desk(who, client, request.app.state.agency)


async def desk_with_csrf(request: Request, at_desk: Annotated[Desk, Depends(desk)]) -> Desk:
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_ok(at_desk.who.csrf_token, request, token if isinstance(token, str) else None):
        raise Refused(
            403, i18n.gettext("This form has expired or did not come from the console. Reload the page.")
        )
    return at_desk


def supervisor(at_desk: Annotated[Desk, Depends(desk_with_csrf)]) -> Desk:
    if not at_desk.is_supervisor:
        raise Refused(403, i18n.gettext("Only a supervisor may do this."))
    return at_desk


async def form_fields(request: Request) -> dict[str, str]:
    """A form's text fields (files ignored), for routes that take a form of many fields."""
    received = await request.form()
    return {name: value for name, value in received.items() if isinstance(value, str)}


AtDesk = Annotated[Desk, Depends(desk)]
FormFields = Annotated[dict[str, str], Depends(form_fields)]
Acting = Annotated[Desk, Depends(desk_with_csrf)]
Supervising = Annotated[Desk, Depends(supervisor)]


# ---------------------------------------------------------------- rendering
def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    at_desk: Desk | None = None,
) -> HTMLResponse:
    """A page (or, for htmx, a fragment) with what every template may use."""
    who = at_desk.who if at_desk else None
    if who is None:
        session_id = cookies_of(request).session_id(request)
        who = accounts_of(request).current(session_id) if session_id else None
    base = {
        "who": who,
        "agency": at_desk.agency if at_desk else "",
        "csrf_token": who.csrf_token if who else "",
        "lang": i18n.current(),
        "locales": i18n.LOCALES,
        "path": request.url.path,
        "is_htmx": bool(request.headers.get("hx-request")),
    }
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, template, base | context, status_code=status)
    return response


def deadline_order(overdue: bool, due_at: str | None, created_at: str) -> tuple[bool, bool, str, str]:
    """How what waits is listed: overdue first, then by deadline (none last), then oldest first."""
    return (not overdue, due_at is None, due_at or "", created_at)


def field_errors(problem: dict[str, Any]) -> dict[str, str]:
    """A 422's errors by form field name ("place.country"), for the form to show beside each field. An
    error in one entry of a list typed one per line ("documents.1.issuing_country") is also given to
    the list's field, naming the line."""
    found: dict[str, str] = {}
    for error in problem.get("errors", []) or []:
        location = [str(part) for part in error.get("loc", []) if part != "body"]
        message = str(error.get("msg", ""))
        found.setdefault(".".join(location) or "_", message)
        if len(location) > 1 and location[1].isdigit():
            where = i18n.gettext("line %(number)s") % {"number": int(location[1]) + 1}
            found.setdefault(location[0], f"{where}: {message}")
    return found
