"""Options and helpers every SDK-backed `kix` command shares."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.client import KixClient, KixProblem

DEFAULT_URL = "http://127.0.0.1:8000"
Url = Annotated[str, typer.Option("--url", envvar="KIX_URL", help="Base URL of the KIX service")]
KeyFile = Annotated[
    Path, typer.Option("--key", envvar="KIX_KEY_FILE", help="Your agency key file", exists=True)
]
ServerKeys = Annotated[
    Path, typer.Option("--server-keys", envvar="KIX_SERVER_KEYS", help="Pinned server JWKS file", exists=True)
]
Actor = Annotated[str, typer.Option("--actor", envvar="KIX_ACTOR", help="Who acts (analyst or system user)")]
Scopes = Annotated[
    str, typer.Option("--scopes", help="Comma-separated scopes, e.g. alerts:read,alerts:write")
]


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _call(url: str, key: Path, server_keys: Path, actor: str, method: str, *args: Any, **kwargs: Any) -> None:
    """Run one SDK call and print its JSON; a problem is printed to stderr with exit status 1."""
    with KixClient(url, key, server_keys, actor=actor) as client:
        try:
            print_json(getattr(client, method)(*args, **kwargs))
        except KixProblem as problem:
            typer.echo(json.dumps(problem.problem, indent=2), err=True)
            raise typer.Exit(1) from problem


def _scopes(text: str) -> list[str]:
    return [scope.strip() for scope in text.split(",") if scope.strip()]


_print = print_json
