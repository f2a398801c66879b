"""What every `kix` command shares: the connection options and the one place that builds the SDK client,
JSON output, and how expected failures are told (one line, an exit status; a traceback only with --debug).
"""

import functools
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from app.client import KixClient, KixProblem, ResponseVerificationError
from app.client.codec import ServerKeysError
from app.config import ConfigurationError
from app.crypto.keys import KeyFormatError
from app.crypto.keystore import KeyStoreError
from app.crypto.storage_keys import StorageKeyError
from app.services.vault.custody import WrongMasterKey

DEFAULT_URL = "http://127.0.0.1:8000"
USAGE = 2  # exit status for configuration and usage errors
REFUSED = 1  # exit status for a request the server refused, or could not be made
DEBUG = "kix.debug"  # set in the context by `kix --debug`: tracebacks instead of one-line failures

Scopes = Annotated[
    str, typer.Option("--scopes", help="Comma-separated scopes, e.g. alerts:read,alerts:write")
]

_CONNECTION_OPTIONS = [
    inspect.Parameter(
        "url",
        inspect.Parameter.KEYWORD_ONLY,
        default=DEFAULT_URL,
        annotation=Annotated[
            str, typer.Option("--url", envvar="KIX_URL", help="Base URL of the KIX service")
        ],
    ),
    inspect.Parameter(
        "key",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[Path, typer.Option("--key", envvar="KIX_KEY_FILE", help="Your agency key file")],
    ),
    inspect.Parameter(
        "server_keys",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[
            Path,
            typer.Option("--server-keys", envvar="KIX_SERVER_KEYS", help="The server's pinned JWKS file"),
        ],
    ),
    inspect.Parameter(
        "actor",
        inspect.Parameter.KEYWORD_ONLY,
        default="cli",
        annotation=Annotated[
            str, typer.Option("--actor", envvar="KIX_ACTOR", help="Who acts (the analyst or system user)")
        ],
    ),
]

Command = TypeVar("Command", bound=Callable[..., Any])


def with_client(command: Command) -> Command:
    """Give a command the connection options (--url, --key, --server-keys, --actor) and pass it a
    ready `client` instead: the one place the CLI builds an SDK client."""
    signature = inspect.signature(command)
    own = [parameter for name, parameter in signature.parameters.items() if name != "client"]

    @functools.wraps(command)
    def wrapper(*args: Any, url: str, key: Path, server_keys: Path, actor: str, **kwargs: Any) -> Any:
        with open_client(url, key, server_keys, actor) as client:
            return command(*args, client=client, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + _CONNECTION_OPTIONS)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        name: value for name, value in command.__annotations__.items() if name != "client"
    } | {parameter.name: parameter.annotation for parameter in _CONNECTION_OPTIONS}
    return wrapper  # type: ignore[return-value]


@contextmanager
def open_client(url: str, key: Path, server_keys: Path, actor: str) -> Iterator[KixClient]:
    for path, option in ((key, "--key"), (server_keys, "--server-keys")):
        if not path.is_file():
            raise UsageProblem(f"{option} {path}: no such file")
    with KixClient(url, key, server_keys, actor=actor) as client:
        yield client


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class UsageProblem(Exception):
    """A command was given something it can not use (a missing file, a malformed option)."""


def _refusal(problem: KixProblem) -> str:
    slug = problem.type.removeprefix("urn:kix:problem:") or "error"
    line = f"refused ({problem.status} {slug}): {problem.detail}"
    errors = problem.problem.get("errors") or []
    if errors:
        line += ": " + "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', []))}: {error.get('msg', '')}"
            for error in errors
        )
    return line


def explain(exc: BaseException) -> tuple[str, int] | None:
    """One line saying what went wrong and what to do, and the exit status; None for a real bug."""
    match exc:
        case KixProblem():
            return _refusal(exc), REFUSED
        case httpx.TransportError():
            return f"can not reach KIX ({type(exc).__name__}: {exc}); check --url and that it runs", REFUSED
        case ResponseVerificationError():
            return f"the answer is not from the server you pinned: {exc}; check --server-keys", REFUSED
        case ServerKeysError():
            return f"{exc}; fetch it again with `kix keys server-jwks` on the server", USAGE
        case KeyFormatError():
            return f"{exc}; make one with `kix keys generate`", USAGE
        case KeyStoreError() | StorageKeyError():
            return f"{exc}", USAGE
        case WrongMasterKey():
            return f"{exc}; point KIX_KEYS_DIR at this database's keys", USAGE
        case ConfigurationError() | UsageProblem():
            return str(exc), USAGE
        case OperationalError():
            return "the database can not be reached: check KIX_DATABASE_URL and that the server runs", USAGE
        case FileExistsError():
            return f"refused: {exc}", REFUSED
    return None


class KixGroup(TyperGroup):
    """The root command group: turns expected failures into one line and an exit status."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer bundles its own click)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise
        except Exception as exc:
            explained = explain(exc)
            if explained is None or ctx.meta.get(DEBUG):
                raise
            message, status = explained
            typer.echo(f"kix: {message}", err=True)
            raise typer.Exit(status) from None
