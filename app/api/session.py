"""Routes any authenticated key may call, whatever its scopes: who am I, and a round-trip check.

Both are async although they do no I/O: FastAPI runs a plain `def` route in a worker thread, and the
hop there and back costs more than what they compute."""

from typing import Any

from fastapi import APIRouter, Body

from app.api.deps import AnyCaller
from app.schemas.agencies import WhoAmI
from app.schemas.common import Scope

router = APIRouter(prefix="/v1", tags=["session"])


@router.get("/whoami", response_model=WhoAmI, summary="The agency, key, actor and scopes behind this request")
async def whoami(caller: AnyCaller) -> WhoAmI:
    return WhoAmI(
        agency_id=caller.agency_id,
        kid=caller.kid,
        actor=caller.actor,
        scopes=sorted((Scope(scope) for scope in caller.scopes), key=lambda scope: scope.value),
    )


@router.post(
    "/echo",
    summary="Return the decrypted JSON body: lets an integrator check signing and encryption end to end",
)
async def echo(caller: AnyCaller, payload: dict[str, Any] = Body(..., max_length=100)) -> dict[str, Any]:  # noqa: B008
    return {"agency_id": caller.agency_id, "payload": payload}
