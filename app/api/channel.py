"""The secure channel: an ASGI middleware around every route but the public ones.

Inbound: read the body (413 past the limit), authenticate the RFC 9421 signature and claim its nonce
(app.services.identity.authentication), decrypt the JWE body, and hand the route plain JSON with the caller in
`scope["state"]`. Outbound: encrypt the body to the caller's X25519 key, add Content-Digest, and sign
the response bound to the request. Refusals before authentication go out as signed, unencrypted
problem+json, since there is no trusted key to encrypt to.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from app.api.admission import Admissions
from app.api.problems import PROBLEM_MEDIA_TYPE, outage_problem, problem_body, unexpected_problem
from app.clock import Clock
from app.config import Settings
from app.crypto.digest import content_digest
from app.crypto.httpsig import HttpMessage
from app.crypto.jwe import MEDIA_TYPE as JOSE_MEDIA_TYPE
from app.crypto.jwe import JweCodec, JweError
from app.crypto.keys import KeyPair
from app.crypto.profile import sign_response
from app.db import Database
from app.errors import (
    BodyTooLarge,
    BodyUndecryptable,
    KixError,
    PlaintextRefused,
    Unauthenticated,
)
from app.metrics import record
from app.services.audit.context import RequestAudit, noting, route_template
from app.services.audit.grouped import GroupedEntries, through_the_driver
from app.services.audit.log import EntryDraft
from app.services.audit.log import append as append_entry
from app.services.identity.authentication import Caller
from app.services.rate_limits import route_class

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/.well-known/kix-keys"})
JSON_MEDIA_TYPE = "application/json"
log = logging.getLogger("kix.access")


@dataclass
class _CapturedResponse:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


def _header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


async def _read_body(receive: Receive, limit: int, headers: dict[str, str]) -> bytes:
    declared = headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge(f"the body limit is {limit} bytes")
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyTooLarge(f"the body limit is {limit} bytes")
        if not message.get("more_body", False):
            break
    return bytes(body)


def _problem_response(problem: KixError, request_id: str) -> _CapturedResponse:
    extra_headers = [(name.lower().encode(), value.encode()) for name, value in problem.headers.items()]
    return _CapturedResponse(
        status=problem.status,
        headers=[(b"content-type", PROBLEM_MEDIA_TYPE.encode()), *extra_headers],
        body=bytearray(problem_body(problem, instance=f"urn:uuid:{request_id}")),
    )


def _outage_or(exc: SQLAlchemyError) -> KixError:
    """The database outage `exc` reports as a problem, or `exc` itself re-raised (a bug stays a bug)."""
    outage = outage_problem(exc)
    if outage is None:
        raise exc
    return outage


class SecureChannel:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        db: Database,
        server_key: KeyPair,
        jwe: JweCodec,
        clock: Clock,
    ) -> None:
        self.app = app
        self.settings = settings
        self.db = db
        self.server_key = server_key
        self.jwe = jwe
        self.clock = clock
        self.admissions = Admissions(settings, db, clock)
        # The entries this channel writes after a route: for concurrent requests together (see grouped).
        self.grouped_entries = GroupedEntries(
            self._append_entries_one_writer if db.one_writer else through_the_driver(db.driver(relaxed=False))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        headers = _header_map(scope["headers"])
        request = HttpMessage(
            headers=headers, method=scope["method"], target_uri=self._target_uri(scope, headers)
        )
        caller: Caller | None = None
        audit: RequestAudit | None = None
        route_scope: Scope = scope
        refusal_reason: str | None = None
        encrypt_response = True
        try:
            body = await _read_body(receive, self.settings.max_body_bytes, headers)
            try:
                caller, rate_refusal = await self.admissions.admit(
                    request, body, route_class(scope["method"], scope["path"])
                )
            except SQLAlchemyError as exc:
                raise _outage_or(exc) from exc
            audit = RequestAudit(
                at=self.clock.now(),
                caller=caller,
                method=scope["method"],
                request_id=request_id,
                signature_sha256=hashlib.sha256(headers.get("signature", "").encode()).hexdigest(),
            )
            encrypt_response = self._wants_encrypted_response(headers)
            if rate_refusal is not None:
                raise rate_refusal
            plaintext = self._open_body(caller, headers, body)
        except KixError as refusal:
            # The precise reason (an unknown key, say) is logged and counted, not told to the client.
            refusal_reason = refusal.reason if isinstance(refusal, Unauthenticated) else refusal.slug
            response = _problem_response(refusal, request_id)
        else:
            route_scope, response = await self._call_route(scope, receive, caller, plaintext, audit)
        if audit is not None and not audit.written:
            # Accepted or refused, every authenticated request is in the log before its answer leaves.
            draft = audit.draft(route_template(route_scope), response.status)
            try:
                await self._append_entry(draft)
            except SQLAlchemyError as exc:
                # Unlogged, the answer may not leave: the client gets the outage and sends it again
                # (with its Idempotency-Key, a create it made is not made twice).
                outage = _outage_or(exc)
                refusal_reason = outage.slug
                response = _problem_response(outage, request_id)
        start, content = self._seal(request, response, caller if encrypt_response else None, request_id)
        elapsed = time.perf_counter() - started
        # Counted before the client can see the answer, so metrics never lag behind what clients saw.
        record(scope["method"], response.status, elapsed, refusal_reason)
        await send(start)
        await send(content)
        if not log.isEnabledFor(logging.INFO):
            return
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": response.status,
                "agency": caller.agency_id if caller else None,
                "kid": caller.kid if caller else None,
                "duration_ms": round(elapsed * 1000, 2),
                "refused": refusal_reason,
            },
        )

    def _target_uri(self, scope: Scope, headers: dict[str, str]) -> str:
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/") + target
        host = headers.get("host")
        if host is None:
            server_host, server_port = scope.get("server") or ("localhost", None)
            host = f"{server_host}:{server_port}" if server_port else server_host
        return f"{scope['scheme']}://{host}{target}"

    def _wants_encrypted_response(self, headers: dict[str, str]) -> bool:
        if not self.settings.allow_plaintext:
            return True
        accept = headers.get("accept", "")
        return JSON_MEDIA_TYPE not in accept or JOSE_MEDIA_TYPE in accept

    def _open_body(self, caller: Caller, headers: dict[str, str], body: bytes) -> bytes:
        """The plaintext JSON of a request body: decrypted from JWE, or plain when development allows it."""
        if not body:
            return body
        media_type = _media_type(headers.get("content-type", ""))
        if media_type == JOSE_MEDIA_TYPE:
            try:
                opened = self.jwe.decrypt(body, self.server_key.encryption)
            except JweError as exc:
                raise BodyUndecryptable(str(exc)) from exc
            if opened.header.get("kid") != self.server_key.kid:
                raise BodyUndecryptable("the JWE names another recipient key")
            if opened.header.get("skid") != caller.kid:
                raise BodyUndecryptable("the JWE's skid is not the signing key id")
            return opened.plaintext
        if media_type == JSON_MEDIA_TYPE and self.settings.allow_plaintext:
            return body
        raise PlaintextRefused("send the body as a JWE compact serialisation (application/jose)")

    async def _append_entry(self, draft: EntryDraft) -> None:
        await self.grouped_entries.append(draft)

    async def _append_entries_one_writer(self, drafts: list[EntryDraft]) -> None:
        """SQLite: a group's entries in one transaction, in a worker thread (writers take turns there)."""

        def in_thread() -> None:
            with self.db.transaction() as session:
                for draft in drafts:
                    append_entry(session, draft)

        await anyio.to_thread.run_sync(in_thread)

    async def _call_route(
        self, scope: Scope, receive: Receive, caller: Caller, plaintext: bytes, audit: RequestAudit
    ) -> tuple[Scope, _CapturedResponse]:
        """The route's answer, and its scope (routing adds the route matched to it)."""
        inner_headers = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-type", b"content-length")
        ]
        if plaintext:
            inner_headers += [
                (b"content-type", JSON_MEDIA_TYPE.encode()),
                (b"content-length", str(len(plaintext)).encode()),
            ]
        inner_scope = dict(scope, headers=inner_headers)
        inner_scope.setdefault("state", {})
        inner_scope["state"] = dict(inner_scope["state"], caller=caller, audit=audit)
        delivered = False

        async def inner_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": plaintext, "more_body": False}
            return await receive()

        response = _CapturedResponse()

        async def inner_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.status = message["status"]
                response.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response.body += message.get("body", b"")

        try:
            with noting(audit):
                await self.app(inner_scope, inner_receive, inner_send)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a problem, never a stack trace
            return inner_scope, _problem_response(unexpected_problem(exc), audit.request_id)
        return inner_scope, response

    def _seal(
        self,
        request: HttpMessage,
        response: _CapturedResponse,
        recipient: Caller | None,
        request_id: str,
    ) -> tuple[Message, Message]:
        """The response's ASGI messages: body encrypted to `recipient` (if any), digested and signed."""
        kept = [
            (name, value)
            for name, value in response.headers
            if name.lower() not in (b"content-type", b"content-length")
        ]
        content_type = _header_map(response.headers).get("content-type", JSON_MEDIA_TYPE)
        body = bytes(response.body)
        if recipient is not None:
            cty = _media_type(content_type).removeprefix("application/")
            body = self.jwe.encrypt(
                body,
                recipient.encrypt_public,
                recipient_kid=recipient.kid,
                sender_kid=self.server_key.kid,
                content_type=cty,
            ).encode("ascii")
            content_type = JOSE_MEDIA_TYPE
        signed_headers = {"content-type": content_type, "content-digest": content_digest(body)}
        signed_headers |= sign_response(
            status=response.status,
            headers=signed_headers,
            request=request,
            keyid=self.server_key.kid,
            private_key=self.server_key.signing,
            now=int(self.clock.now().timestamp()),
        )
        out = kept + [(name.encode(), value.encode()) for name, value in signed_headers.items()]
        out += [(b"content-length", str(len(body)).encode()), (b"x-request-id", request_id.encode())]
        return (
            {"type": "http.response.start", "status": response.status, "headers": out},
            {"type": "http.response.body", "body": body, "more_body": False},
        )
