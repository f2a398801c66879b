"""`kix console`: the analysts' web console, run at the agency, and its analysts' accounts.

    kix console --key agency.key.json --server-keys server.jwks.json --url https://kix.example \\
        [--host 127.0.0.1 --port 8080] [--data-dir ./kix-console] [--tls-cert C --tls-key K]
    kix console users add NAME --role analyst|supervisor
    kix console users disable NAME
    kix console users reset NAME
    kix console users list
    OpenID Connect as well: --oidc-issuer URL --oidc-client-id ID [--oidc-supervisor-group G]
        [--public-url URL], the client secret in KIX_CONSOLE_OIDC_CLIENT_SECRET

The console signs every call as the agency (its key never leaves the agency) and names the analyst in
kix-actor. Its cookies are Secure: serve it over HTTPS (--tls-cert, or behind the agency's proxy). Only
on 127.0.0.1, for a try-out, `--insecure-cookies` lets a browser keep them over plain http.
"""

import os
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app.cli.common import UsageProblem
from app.console.accounts import NAME_PATTERN, AccountError, Accounts, Issued, Role
from app.console.config import ACCOUNTS_FILE, load_config
from app.console.oidc import OidcSettings
from app.console.web import create_console

DEFAULT_DATA_DIR = Path("./kix-console")
DataDir = Annotated[Path, typer.Option(help="Where the console keeps its analysts and cookie secret")]

console_cli = typer.Typer(help="The analysts' web console, run at the agency.", invoke_without_command=True)
users_cli = typer.Typer(help="The console's analysts: add, disable, reset, list.", no_args_is_help=True)
console_cli.add_typer(users_cli, name="users")


@console_cli.callback()
def console(
    ctx: typer.Context,
    key: Annotated[
        Path | None, typer.Option(help="The agency's key file (private: stays at the agency)")
    ] = None,
    server_keys: Annotated[Path | None, typer.Option(help="KIX's public keys (JWKS) to pin")] = None,
    url: Annotated[str | None, typer.Option(help="KIX's base URL")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate chain: serve HTTPS")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    insecure_cookies: Annotated[
        bool, typer.Option(help="Cookies over plain http (development on 127.0.0.1 only)")
    ] = False,
    idle_minutes: Annotated[float, typer.Option(min=0.05, help="A session ends after this long idle")] = 30,
    session_hours: Annotated[
        float, typer.Option(min=0.01, max=24, help="...and after this long anyway")
    ] = 12,
    public_url: Annotated[
        str | None, typer.Option(help="The console's address as browsers reach it (default: --host, --port)")
    ] = None,
    oidc_issuer: Annotated[str | None, typer.Option(help="Also log in through this OpenID provider")] = None,
    oidc_client_id: Annotated[str | None, typer.Option(help="The console's client id there")] = None,
    oidc_client_secret: Annotated[
        str | None,
        typer.Option(envvar="KIX_CONSOLE_OIDC_CLIENT_SECRET", help="Its secret (best from the environment)"),
    ] = None,
    oidc_supervisor_group: Annotated[
        str | None, typer.Option(help="Members of this group (the groups claim) are supervisors")
    ] = None,
) -> None:
    """Run the console (with no sub-command)."""
    if ctx.invoked_subcommand is not None:
        return
    if key is None or server_keys is None or url is None:
        raise UsageProblem("--key, --server-keys and --url are needed to run the console")
    if insecure_cookies and host not in ("127.0.0.1", "localhost", "::1"):
        raise UsageProblem("--insecure-cookies only on 127.0.0.1: anywhere else, serve HTTPS")
    if (tls_cert is None) != (tls_key is None):
        raise UsageProblem("--tls-cert and --tls-key go together")
    os.umask(0o077)
    config = load_config(url, key, server_keys, data_dir, secure_cookies=not insecure_cookies)
    config = replace(config, idle=timedelta(minutes=idle_minutes), absolute=timedelta(hours=session_hours))
    scheme = "https" if tls_cert else "http"
    if oidc_issuer:
        if not (oidc_client_id and oidc_client_secret):
            raise UsageProblem("--oidc-issuer needs --oidc-client-id and a client secret")
        own_url = (public_url or f"{scheme}://{host}:{port}").rstrip("/")
        oidc = OidcSettings(
            issuer=oidc_issuer,
            client_id=oidc_client_id,
            client_secret=oidc_client_secret,
            redirect_url=f"{own_url}/login/oidc/callback",
            supervisor_group=oidc_supervisor_group,
        )
        config = replace(config, oidc=oidc)
    app = create_console(config)
    typer.echo(f"KIX console for {url} on {scheme}://{host}:{port} (analysts: kix console users)", err=True)
    ssl = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert else {}
    uvicorn.run(app, host=host, port=port, log_level="warning", **ssl)  # type: ignore[arg-type]


def _accounts(data_dir: Path) -> Accounts:
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Accounts(data_dir / ACCOUNTS_FILE)


def _print_issued(issued: Issued) -> None:
    typer.echo(f"analyst {issued.name} ({issued.role.value})")
    typer.echo(f"password: {issued.password}")
    if issued.totp_uri:
        typer.echo(f"TOTP secret: {issued.totp_secret}")
        typer.echo(f"TOTP URI (for an authenticator app): {issued.totp_uri}")
    typer.echo("hand these over in person; they are not shown again", err=True)


def _check_name(name: str) -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise UsageProblem("a name is 2-64 of a-z 0-9 . _ - (starting with a letter or digit)")
    return name


@users_cli.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="supervisors also give a TOTP code at login")] = Role.ANALYST,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Add an analyst: prints the password (and a supervisor's TOTP secret) once."""
    accounts = _accounts(data_dir)
    try:
        _print_issued(accounts.add(_check_name(name), role))
    except AccountError as exc:
        raise UsageProblem(str(exc)) from exc
    finally:
        accounts.close()


@users_cli.command("disable")
def users_disable(name: str, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Disable an analyst: their sessions end at once, and they can not log in."""
    accounts = _accounts(data_dir)
    try:
        accounts.disable(name)
    except AccountError as exc:
        raise UsageProblem(str(exc)) from exc
    finally:
        accounts.close()
    typer.echo(f"disabled {name}", err=True)


@users_cli.command("reset")
def users_reset(name: str, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """A new password (and TOTP secret for a supervisor), unlocked and enabled; old sessions end."""
    accounts = _accounts(data_dir)
    try:
        _print_issued(accounts.reset(name))
    except AccountError as exc:
        raise UsageProblem(str(exc)) from exc
    finally:
        accounts.close()


@users_cli.command("list")
def users_list(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """The analysts, their roles, and who is disabled."""
    accounts = _accounts(data_dir)
    try:
        for name, role, disabled in accounts.names():
            typer.echo(f"{name}\t{role}\t{'disabled' if disabled else 'active'}")
    finally:
        accounts.close()


def register(cli: typer.Typer) -> None:
    cli.add_typer(console_cli, name="console")
