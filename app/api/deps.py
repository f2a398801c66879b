"""Dependencies every router uses: the request's database session and the checked caller."""

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import Forbidden, Unauthenticated
from app.schemas.common import Scope
from app.services.authentication import Caller


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    database: Database = request.app.state.db
    with database.transaction(write=request.method not in ("GET", "HEAD")) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit can not follow a 2xx.
DbSession = Annotated[Session, Depends(get_session, scope="function")]

SCOPES_ATTRIBUTE = "__kix_scopes__"


def require(*scopes: Scope) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency that returns the authenticated caller and refuses (403) keys lacking `scopes`.

    The secure channel has already authenticated the request; a route reached without a caller means
    the route is mounted outside the channel, and is refused as unauthenticated.
    """

    # async although it does no I/O: FastAPI would otherwise hop to a worker thread to run it.
    async def caller_with_scopes(request: Request) -> Caller:
        caller: Caller | None = request.scope.get("state", {}).get("caller")
        if caller is None:
            raise Unauthenticated("this route needs a signed request")
        missing = [scope.value for scope in scopes if scope.value not in caller.scopes]
        if missing:
            raise Forbidden(f"the key lacks scope {', '.join(missing)}")
        return caller

    setattr(caller_with_scopes, SCOPES_ATTRIBUTE, tuple(scope.value for scope in scopes))
    return caller_with_scopes


AnyCaller = Annotated[Caller, Depends(require())]
AdminCaller = Annotated[Caller, Depends(require(Scope.ADMIN))]
