"""The secure channel refuses every malformed, forged, stale, replayed or unencrypted request with the
right status and problem type, and nothing is written when it does."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.client import KixClient
from app.client.codec import Codec
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.digest import content_digest
from app.crypto.jwe import JweCodec
from app.crypto.keys import KeyPair
from app.crypto.profile import request_components
from app.db import Database
from app.main import create_app
from app.models import Credential
from tests.asgi import in_process_client
from tests.conftest import BASE_URL, Member
from tests.signing import build_request, claimed_nonces, plain_json, problem_type, send

PROBE_GROUP = {"id": "probe", "name": "Probe group"}


@pytest.fixture
def probe(
    http: httpx.Client, admin: KixClient, admin_key: KeyPair, server_jwks: dict[str, Any], db: Database
) -> Any:
    """Send a refused write (create group "probe"); assert its status and type and that nothing changed."""

    def send_refused(request: httpx.Request, status: int, slug: str, *, key: KeyPair = admin_key) -> None:
        nonces_before = claimed_nonces(db)
        got_status, got_type, _ = send(http, request, key, server_jwks)
        assert (got_status, got_type) == (status, problem_type(slug))
        if status == 401:
            assert claimed_nonces(db) == nonces_before, "a refused request must not use up a nonce"
        assert admin.list_groups()["items"] == []

    return send_refused


def test_a_correct_request_is_accepted_and_writes(
    http: httpx.Client, admin_key: KeyPair, server_jwks: dict[str, Any], admin: KixClient
) -> None:
    # The baseline the refusals below are measured against: the same request, unaltered, works.
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    status, problem, body = send(http, request, admin_key, server_jwks)
    assert (status, problem, body["id"]) == (201, None, "probe")
    assert [group["id"] for group in admin.list_groups()["items"]] == ["probe"]


def test_a_fragment_in_the_callers_url_is_neither_signed_nor_sent(
    http: httpx.Client, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    # A fragment never reaches the server: the signature must not cover it (nor may the answer's).
    codec = Codec(admin_key, server_jwks, "tester")
    request = codec.build(http, "GET", f"{BASE_URL}/v1/admin/groups#top", None, None, None, None)
    assert codec.open_response(request, http.send(request))["items"] == []


def test_unsigned_request(
    http: httpx.Client, probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    del request.headers["signature"]
    del request.headers["signature-input"]
    probe(request, 401, "signature-missing")


def test_unknown_key(probe: Any, server_jwks: dict[str, Any]) -> None:
    # The same answer as a bad signature: key ids can not be probed (finding 9).
    stranger = KeyPair.generate()
    probe(
        build_request(stranger, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP),
        401,
        "signature-invalid",
        key=stranger,
    )


def test_revoked_key_is_refused_from_the_next_request(
    enrol: Any, admin: KixClient, server_jwks: dict[str, Any], probe: Any
) -> None:
    member: Member = enrol("de-bka")
    assert member.client.whoami()["agency_id"] == "de-bka"
    admin.revoke_key(member.key.kid)
    request = build_request(member.key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    probe(request, 401, "key-revoked", key=member.key)


def test_a_key_revoked_or_an_agency_suspended_on_one_node_is_refused_at_once_by_another(
    enrol: Any,
    admin: KixClient,
    settings: Settings,
    clock: ShiftedClock,
    server_jwks: dict[str, Any],
    db: Database,
) -> None:
    # The second node has served both keys, so it knows their public halves (KnownKeys); their status
    # must still be read afresh on its very next request.
    revoked, suspended = enrol("de-bka"), enrol("it-dcsa")
    second_db = Database(settings.database_url)
    try:
        with in_process_client(create_app(settings, database=second_db, clock=clock), BASE_URL) as second:

            def through_second(member: Member) -> KixClient:
                return KixClient(BASE_URL, member.key, server_jwks, http_client=second, clock=clock.timestamp)

            for member in (revoked, suspended):
                assert through_second(member).whoami()["agency_id"] == member.agency_id
            admin.revoke_key(revoked.key.kid)
            admin.suspend_agency("it-dcsa")
            nonces_before = claimed_nonces(db)
            for member, slug in ((revoked, "key-revoked"), (suspended, "agency-suspended")):
                request = build_request(member.key, server_jwks, "GET", "/v1/whoami")
                assert send(second, request, member.key, server_jwks)[:2] == (401, problem_type(slug))
            assert claimed_nonces(db) == nonces_before
            admin.reactivate_agency("it-dcsa")
            assert through_second(suspended).whoami()["agency_id"] == "it-dcsa"
    finally:
        second_db.dispose()


@pytest.mark.parametrize("successor_first", [False, True])
def test_a_key_id_given_to_another_key_never_admits_the_old_one(
    enrol: Any,
    server_jwks: dict[str, Any],
    http: httpx.Client,
    db: Database,
    probe: Any,
    successor_first: bool,
) -> None:
    # Key ids are never reused; if one were, a node that knew the old key must not admit its
    # signatures, and must admit the new key's at once, whichever of the two comes first.
    member: Member = enrol("de-bka")
    assert member.client.whoami()["agency_id"] == "de-bka"  # the node knows the key now
    successor = KeyPair.generate()
    with db.transaction() as session:
        credential = session.get(Credential, member.key.kid)
        assert credential is not None
        credential.sign_public = successor.sign_jwk["x"]

    def old_refused() -> None:
        old = build_request(member.key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
        probe(old, 401, "signature-invalid", key=member.key)

    def new_admitted() -> None:
        new = build_request(successor, server_jwks, "GET", "/v1/whoami", keyid=member.key.kid)
        # The answer is encrypted to the registered encryption key, which is still the member's.
        status, _, body = send(http, new, member.key, server_jwks)
        assert (status, body["agency_id"]) == (200, "de-bka")

    for step in (new_admitted, old_refused) if successor_first else (old_refused, new_admitted):
        step()


def _register(admin: KixClient, agency_id: str, **validity: str) -> KeyPair:
    key = KeyPair.generate()
    public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}
    admin.register_key(agency_id, public, ["alerts:read"], **validity)
    return key


def test_expired_and_not_yet_valid_keys(
    enrol: Any, admin: KixClient, server_jwks: dict[str, Any], probe: Any
) -> None:
    enrol("de-bka")
    now = datetime.now(UTC)
    expired = _register(
        admin,
        "de-bka",
        not_before=(now - timedelta(hours=2)).isoformat(),
        expires_at=(now - timedelta(hours=1)).isoformat(),
    )
    future = _register(admin, "de-bka", not_before=(now + timedelta(hours=1)).isoformat())
    probe(build_request(expired, server_jwks, "GET", "/v1/whoami"), 401, "key-expired", key=expired)
    probe(build_request(future, server_jwks, "GET", "/v1/whoami"), 401, "key-not-yet-valid", key=future)


def test_suspended_agency_is_refused_and_reactivation_restores_it(
    enrol: Any, admin: KixClient, server_jwks: dict[str, Any], probe: Any
) -> None:
    member: Member = enrol("de-bka")
    admin.suspend_agency("de-bka")
    probe(
        build_request(member.key, server_jwks, "GET", "/v1/whoami"), 401, "agency-suspended", key=member.key
    )
    admin.reactivate_agency("de-bka")
    assert member.client.whoami()["agency_id"] == "de-bka"


def test_signature_by_another_key(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    impostor = KeyPair.generate()
    request = build_request(
        impostor, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, keyid=admin_key.kid
    )
    probe(request, 401, "signature-invalid")


@pytest.mark.parametrize(
    ("header", "value"),
    [("kix-actor", "someone-else"), ("content-type", "application/jose; x=1")],
)
def test_covered_header_changed_after_signing(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any], header: str, value: str
) -> None:
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    request.headers[header] = value
    probe(request, 401, "signature-invalid")


def test_target_and_method_changed_after_signing(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    signed = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    moved = httpx.Request(
        "POST", BASE_URL + "/v1/admin/groups?x=1", headers=signed.headers, content=signed.content
    )
    probe(moved, 401, "signature-invalid")
    signed = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    as_put = httpx.Request(
        "PUT", BASE_URL + "/v1/admin/groups", headers=signed.headers, content=signed.content
    )
    probe(as_put, 401, "signature-invalid")


def test_body_changed_after_signing(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    signed = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    other_body = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", {"id": "other", "name": "x"}
    ).content
    # Body swapped, digest left: the digest no longer matches.
    swapped = httpx.Request("POST", signed.url, headers=signed.headers, content=other_body)
    probe(swapped, 401, "digest-mismatch")
    # Body swapped and digest recomputed: the signature no longer matches.
    headers = dict(signed.headers) | {"content-digest": content_digest(other_body)}
    probe(httpx.Request("POST", signed.url, headers=headers, content=other_body), 401, "signature-invalid")


def test_content_digest_mismatch_and_uncovered_digest(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    body = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP).content
    wrong = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", body=body)
    wrong.headers["content-digest"] = content_digest(b"something else")
    probe(wrong, 401, "signature-invalid")  # the digest is covered, so changing it breaks the signature
    uncovered = build_request(
        admin_key,
        server_jwks,
        "POST",
        "/v1/admin/groups",
        body=body,
        components=[("@method", {}), ("@target-uri", {}), ("content-type", {}), ("kix-actor", {})],
    )
    probe(uncovered, 401, "component-missing")


@pytest.mark.parametrize("missing", ["@method", "@target-uri", "content-type", "content-digest", "kix-actor"])
def test_each_required_component(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any], missing: str
) -> None:
    components = [c for c in request_components(has_body=True) if c[0] != missing]
    request = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, components=components
    )
    probe(request, 401, "component-missing")


@pytest.mark.parametrize("param", ["created", "expires", "nonce", "alg"])
def test_each_required_parameter(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any], param: str
) -> None:
    request = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, drop_params=[param]
    )
    probe(request, 401, "signature-malformed")


def test_missing_tag_and_garbled_fields(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    probe(
        build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, tag=None),
        401,
        "tag-missing",
    )
    other_tag = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, tag="kix-response"
    )
    probe(other_tag, 401, "tag-missing")
    garbled = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    garbled.headers["signature-input"] = "kix=(not a list"
    probe(garbled, 401, "signature-malformed")


@pytest.mark.parametrize(("offset", "slug"), [(-120, "signature-stale"), (60, "signature-stale")])
def test_created_outside_the_window(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any], offset: int, slug: str
) -> None:
    created = int(time.time()) + offset
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, created=created)
    probe(request, 401, slug)


def test_expired_signature(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    now = int(time.time())
    request = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, created=now - 30, expires=now - 1
    )
    probe(request, 401, "signature-expired")


def test_overlong_nonce_and_bad_actor(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    long_nonce = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, nonce="n" * 65
    )
    probe(long_nonce, 401, "nonce-invalid")
    bad_actor = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, actor="line\tbreak"
    )
    probe(bad_actor, 401, "actor-invalid")


def test_replayed_nonce(
    http: httpx.Client, admin_key: KeyPair, server_jwks: dict[str, Any], admin: KixClient, db: Database
) -> None:
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    assert send(http, request, admin_key, server_jwks)[0] == 201
    replay = httpx.Request("POST", request.url, headers=request.headers, content=request.content)
    assert send(http, replay, admin_key, server_jwks)[:2] == (401, problem_type("nonce-replayed"))
    # Same nonce, fresh signature and another body: still a replay of the nonce.
    nonce_reuse = build_request(
        admin_key,
        server_jwks,
        "POST",
        "/v1/admin/groups",
        {"id": "other", "name": "x"},
        nonce=request.headers["signature-input"].split('nonce="')[1].split('"')[0],
    )
    assert send(http, nonce_reuse, admin_key, server_jwks)[:2] == (401, problem_type("nonce-replayed"))
    assert [group["id"] for group in admin.list_groups()["items"]] == ["probe"]


def test_replay_across_two_app_instances_on_one_database(
    settings: Settings, admin_key: KeyPair, server_jwks: dict[str, Any], admin: KixClient
) -> None:
    # Two nodes: separate apps and connection pools over one database, the same server keys.
    second_db = Database(settings.database_url)
    second_app = create_app(settings, database=second_db)
    request = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    try:
        with in_process_client(second_app, BASE_URL) as second_http:
            assert send(second_http, request, admin_key, server_jwks)[0] == 201
        replay = httpx.Request("POST", request.url, headers=request.headers, content=request.content)
        first_http = admin.http
        assert send(first_http, replay, admin_key, server_jwks)[:2] == (401, problem_type("nonce-replayed"))
    finally:
        second_db.dispose()
    assert [group["id"] for group in admin.list_groups()["items"]] == ["probe"]


def test_plain_json_is_refused_when_plaintext_is_off(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    request = build_request(
        admin_key,
        server_jwks,
        "POST",
        "/v1/admin/groups",
        body=plain_json(PROBE_GROUP),
        content_type="application/json",
    )
    probe(request, 415, "plaintext-refused")


def test_jwe_to_the_wrong_key_or_tampered(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    stranger = KeyPair.generate()
    to_stranger = (
        JweCodec()
        .encrypt(
            plain_json(PROBE_GROUP),
            stranger.encryption.public_key(),
            recipient_kid=stranger.kid,
            sender_kid=admin_key.kid,
        )
        .encode()
    )
    probe(
        build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", body=to_stranger),
        400,
        "body-undecryptable",
    )

    good = build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP).content
    head, key, iv, ciphertext, tag = good.split(b".")
    flipped = ciphertext[:-2] + (b"A" if ciphertext[-2:-1] != b"A" else b"B") + ciphertext[-1:]
    tampered = b".".join([head, key, iv, flipped, tag])
    probe(
        build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", body=tampered),
        400,
        "body-undecryptable",
    )


def test_jwe_lifted_from_another_sender_is_refused(
    enrol: Any, probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    # A body encrypted by the admin can not be re-signed and sent by another agency's key.
    member: Member = enrol("de-bka", scopes=["alerts:read"])
    lifted = build_request(admin_key, server_jwks, "POST", "/v1/echo", {"secret": 1}).content
    request = build_request(member.key, server_jwks, "POST", "/v1/echo", body=lifted)
    probe(request, 400, "body-undecryptable", key=member.key)


def test_missing_scope_and_non_admin(
    enrol: Any, admin: KixClient, probe: Any, server_jwks: dict[str, Any], admin_key: KeyPair
) -> None:
    member: Member = enrol("de-bka")
    request = build_request(member.key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    probe(request, 403, "forbidden", key=member.key)
    # An operator key without the admin scope, though its agency has it.
    operator_key = _register(admin, "kix-operator")
    request = build_request(operator_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP)
    probe(request, 403, "forbidden", key=operator_key)


def test_malformed_json_inside_the_jwe(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    server_enc = next(jwk for jwk in server_jwks["keys"] if jwk["use"] == "enc")
    from app.crypto.keys import x25519_public_from_jwk

    token = (
        JweCodec()
        .encrypt(
            b'{"id": "probe", "name": ',
            x25519_public_from_jwk(server_enc),
            recipient_kid=server_enc["kid"],
            sender_kid=admin_key.kid,
        )
        .encode()
    )
    probe(
        build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", body=token),
        422,
        "validation-failed",
    )


def test_body_over_the_size_limit(probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any]) -> None:
    huge = {"id": "probe", "name": "x", "description": "d" * 1_100_000}
    probe(build_request(admin_key, server_jwks, "POST", "/v1/admin/groups", huge), 413, "body-too-large")


def test_error_responses_are_encrypted_to_the_caller(
    http: httpx.Client, admin_key: KeyPair, server_jwks: dict[str, Any]
) -> None:
    request = build_request(admin_key, server_jwks, "GET", "/v1/admin/agencies/nobody")
    response = http.send(request)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/jose"
    assert b"nobody" not in response.content


def test_plaintext_mode_for_development(settings: Settings, db: Database, admin_key: KeyPair) -> None:
    # KIX_ALLOW_PLAINTEXT=true: JSON bodies accepted, plain answers for who asks; still signed both ways.
    plain_settings = settings.model_copy(update={"allow_plaintext": True})
    plain_app = create_app(plain_settings, database=db)
    jwks = plain_app.state.server_key.public_jwks()
    with in_process_client(plain_app, BASE_URL) as client:
        request = build_request(
            admin_key,
            jwks,
            "POST",
            "/v1/echo",
            body=plain_json({"x": 1}),
            content_type="application/json",
            accept="application/json",
        )
        response = client.send(request)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["payload"] == {"x": 1}
        assert "signature" in response.headers
        # A JWE client on the same server still gets JWE back.
        assert send(client, build_request(admin_key, jwks, "POST", "/v1/echo", {"y": 2}), admin_key, jwks)[
            2
        ] == {
            "agency_id": "kix-operator",
            "payload": {"y": 2},
        }


@pytest.mark.parametrize(
    ("header", "value"),
    [("if-match", '"v1"'), ("idempotency-key", "retry-1"), ("accept", "application/json")],
)
def test_finding_07_headers_that_change_behaviour_are_covered_whenever_present(
    probe: Any, admin_key: KeyPair, server_jwks: dict[str, Any], header: str, value: str
) -> None:
    # Added by someone on the path to a request whose signature does not cover it: refused.
    uncovered = [
        component for component in request_components(True, {"accept": "*"}) if component[0] != header
    ]
    signed = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, components=uncovered
    )
    headers = {name: v for name, v in signed.headers.items() if name.lower() != header} | {header: value}
    probe(
        httpx.Request("POST", signed.url, headers=headers, content=signed.content), 401, "component-missing"
    )
    # Signed by the client, then altered: the signature no longer verifies.
    covered = build_request(
        admin_key, server_jwks, "POST", "/v1/admin/groups", PROBE_GROUP, extra_headers={header: value}
    )
    covered.headers[header] = value + "x"
    probe(covered, 401, "signature-invalid")


def test_finding_07_the_sdk_covers_if_match_and_idempotency_key(
    enrol: Any, http: httpx.Client, server_jwks: dict[str, Any]
) -> None:
    member: Member = enrol("de-bka")
    from tests.records_data import alert

    created = member.client.create_record("alerts", alert(), idempotency_key="covered-1")
    updated = member.client.update_record("alerts", created["id"], {"urgency": "low"}, etag=created["etag"])
    assert updated["version"] == 2
    request = member.client.codec.build(
        http, "PATCH", BASE_URL + "/v1/alerts/x", {"urgency": "low"}, None, {"If-Match": '"v2"'}, None
    )
    covered = request.headers["signature-input"]
    assert '"if-match"' in covered
    assert '"accept"' in covered


def test_finding_09_key_status_is_told_only_to_a_request_its_key_signed(
    enrol: Any, admin: KixClient, server_jwks: dict[str, Any], probe: Any, caplog: pytest.LogCaptureFixture
) -> None:
    member: Member = enrol("de-bka")
    admin.revoke_key(member.key.kid)
    impostor = KeyPair.generate()
    # Someone probing the revoked key id without its private key learns nothing about it...
    probe(
        build_request(impostor, server_jwks, "GET", "/v1/whoami", keyid=member.key.kid),
        401,
        "signature-invalid",
        key=impostor,
    )
    # ...nor about an id that was never registered: the same answer.
    probe(build_request(impostor, server_jwks, "GET", "/v1/whoami"), 401, "signature-invalid", key=impostor)
    # The key's holder is told the precise status.
    probe(build_request(member.key, server_jwks, "GET", "/v1/whoami"), 401, "key-revoked", key=member.key)
    # The server's log always has the precise reason.
    refusals = [record.__dict__.get("refused") for record in caplog.records if record.name == "kix.access"]
    assert {"key-unknown", "signature-invalid", "key-revoked"} <= set(refusals)


def test_finding_10_a_nonce_outlives_every_node_that_could_accept_its_signature(
    http: httpx.Client,
    admin_key: KeyPair,
    server_jwks: dict[str, Any],
    settings: Settings,
    db: Database,
    clock: Any,
) -> None:
    from app.scheduler import Scheduler
    from app.services.identity.authentication import NONCE_MARGIN_SECONDS

    with db.transaction() as session:  # a key valid for a while, so a node running behind accepts it too
        session.get(Credential, admin_key.kid).not_before -= timedelta(hours=1)  # type: ignore[union-attr]
    created = int(time.time())
    request = build_request(admin_key, server_jwks, "GET", "/v1/whoami", created=created)
    assert send(http, request, admin_key, server_jwks)[0] == 200
    # A node whose clock runs max_skew behind accepts the signature until created + max_age + max_skew
    # of real time; a sweep on any node's clock before that must keep the nonce.
    last_acceptance = settings.signature_max_age_seconds + settings.signature_max_skew_seconds
    clock.advance(timedelta(seconds=last_acceptance + NONCE_MARGIN_SECONDS - 1 - (time.time() - created)))
    assert Scheduler(db, settings, clock).run_due()["nonce-sweep"] == 0
    lagging_node = ShiftedClock(timedelta(seconds=-settings.signature_max_skew_seconds))
    lagging_app = create_app(settings, database=db, clock=lagging_node)
    with in_process_client(lagging_app, BASE_URL) as lagging:
        replay = httpx.Request("GET", request.url, headers=request.headers)
        assert send(lagging, replay, admin_key, server_jwks)[:2] == (401, problem_type("nonce-replayed"))
    clock.advance(timedelta(seconds=31))  # past the window, and the sweep is due again
    assert Scheduler(db, settings, clock).run_due()["nonce-sweep"] >= 1
