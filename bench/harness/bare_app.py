"""The baseline KIX is compared with: plain FastAPI with the same echo route, and no secure channel.

`POST /v1/echo` is a sync route taking a JSON object, like KIX's, and `GET /v1/whoami` answers a small
JSON object, like KIX's, so the difference measured is the secure channel (signature, nonce, JWE both
ways, response signature, and for KIX the key lookup and its audit entry) and nothing else. The harness starts
it through uvicorn (`bench.harness.bare_app:app`) with the same worker count as `kix serve`.
"""

from typing import Annotated, Any

from fastapi import Body, FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/echo")
def echo(payload: Annotated[dict[str, Any], Body(max_length=100)]) -> dict[str, Any]:
    return {"agency_id": "x", "payload": payload}


@app.get("/v1/whoami")
def whoami() -> dict[str, Any]:
    return {"agency_id": "x", "kid": "bare", "actor": "bench", "scopes": ["alerts:read"]}
