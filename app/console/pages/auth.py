"""Logging in (name, password, and a TOTP code for supervisors), out, and choosing the language."""

import secrets
from typing import Annotated

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.console import i18n
from app.console.accounts import Role
from app.console.oidc import FLOW_SECONDS, OidcLogin, OidcRefused
from app.console.web import Acting, accounts_of, cookies_of, render

router = APIRouter()
LANGUAGE_SECONDS = 365 * 24 * 3600


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def log_in(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_token: Annotated[str, Form(max_length=128)],
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    cookies = cookies_of(request)
    if not cookies.login_token_ok(request, login_token):
        return _login_page(request, i18n.gettext("The login form expired. Please try again."), status=400)
    signed = accounts_of(request).log_in(name.strip(), password, code or None)
    if signed is None:
        # One answer for every refusal: unknown name, wrong password or code, disabled, locked out.
        message = i18n.gettext("Those credentials were not accepted, or the account is locked or disabled.")
        return _login_page(request, message, status=401)
    response = RedirectResponse("/", status_code=303)
    cookies.set_session(response, signed.session_id)
    response.delete_cookie(cookies.login_name, path="/")
    return response


@router.get("/login/oidc")
def oidc_start(request: Request) -> Response:
    """To the agency's identity provider (when the console is configured with one)."""
    oidc: OidcLogin | None = request.app.state.oidc
    if oidc is None:
        return RedirectResponse("/login", status_code=303)
    try:
        url, kept = oidc.start()
    except (OidcRefused, httpx.HTTPError):  # the provider is unreachable or misconfigured
        message = i18n.gettext("Your agency's identity provider can not be reached. Please try again later.")
        return _login_page(request, message, status=502)
    response = RedirectResponse(url, status_code=303)
    cookies_of(request).set_flow(response, kept, FLOW_SECONDS)
    return response


@router.get("/login/oidc/callback")
def oidc_callback(request: Request) -> Response:
    oidc: OidcLogin | None = request.app.state.oidc
    if oidc is None:
        return RedirectResponse("/login", status_code=303)
    cookies = cookies_of(request)
    refused = i18n.gettext("Your identity provider's answer was not accepted. Please try again.")
    try:
        identity = oidc.finish(dict(request.query_params), cookies.flow(request, FLOW_SECONDS))
    except (OidcRefused, httpx.HTTPError):
        return _login_page(request, refused, status=401)
    role = Role.SUPERVISOR if identity.supervisor else Role.ANALYST
    signed = accounts_of(request).log_in_external(identity.name, role)
    if signed is None:
        return _login_page(request, refused, status=401)
    # A page, not a redirect: the provider's redirect here was a cross-site navigation, and the browser
    # would not send the SameSite=Strict session cookie on a redirect that continues it.
    response = render(request, "signed_in.html", {})
    cookies.set_session(response, signed.session_id)
    response.delete_cookie(cookies.flow_name, path="/")
    return response


@router.post("/logout")
def log_out(request: Request, at_desk: Acting) -> Response:
    accounts_of(request).log_out(at_desk.who.session_id)
    response = RedirectResponse("/login", status_code=303)
    cookies_of(request).clear_session(response)
    return response


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon: answered here, so a browser's automatic request is not taken for a page."""
    return Response(status_code=204)


@router.get("/language/{code}")
def choose_language(code: str, back: str = "/") -> Response:
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in i18n.LOCALES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, code, max_age=LANGUAGE_SECONDS, path="/", httponly=True, samesite="strict"
        )
    return response


def _login_page(request: Request, message: str = "", *, status: int = 200) -> Response:
    token = cookies_of(request).login_token(request) or secrets.token_urlsafe(32)
    context = {"message": message, "login_token": token, "oidc": request.app.state.oidc is not None}
    response = render(request, "login.html", context, status=status)
    cookies_of(request).set_login_token(response, token)
    return response
