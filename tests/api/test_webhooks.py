"""Webhooks against a real local HTTPS receiver: events arrive signed (checked by an independent RFC 9421
verifier) and encrypted to the agency's key, in order, at least once, through failures, retries and a
restart; dead deliveries pause the endpoint until redelivered; unsafe URLs are refused."""

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from joserfc import jwe
from joserfc.jwk import OKPKey
from joserfc.registry import HeaderParameter, is_str

from app.client import KixClient, KixProblem, WebhookRejected, verify_webhook
from app.clock import ShiftedClock
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.services.events.delivery import Deliverer
from app.services.events.webhooks import UnsafeAddress, resolve
from tests.asgi import in_process_client
from tests.conftest import BASE_URL, Member
from tests.receiver import Received, Receiver, https_receiver
from tests.records_data import alert, rules

JWE_REGISTRY = jwe.JWERegistry(
    header_registry={"skid": HeaderParameter("Sender key id", is_str)},
    algorithms=["ECDH-ES+A256KW", "A256GCM"],
)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with https_receiver(tmp_path) as running:
        yield running


@pytest.fixture
def delivery_settings(settings: Settings, receiver: Receiver) -> Settings:
    return settings.model_copy(
        update={
            "webhook_ca_file": receiver.ca_file,
            "webhook_max_attempts": 3,
            "webhook_retry_base_seconds": 10,
            "webhook_timeout_seconds": 1,
        }
    )


@pytest.fixture
def deliverer(
    app: Any, db: Database, delivery_settings: Settings, clock: ShiftedClock
) -> Iterator[Deliverer]:
    sender = Deliverer(db, delivery_settings, app.state.server_key, app.state.vault, clock)
    yield sender
    sender.close()


def _independent_verify(received: Received, url: str, server_jwks: dict[str, Any]) -> None:
    """http-message-signatures, which shares no code with KIX, checks the delivery's signature."""
    jwk = next(key for key in server_jwks["keys"] if key["crv"] == "Ed25519")
    public = Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={jwk["kid"]: public}, private_keys={}),
    )
    verifier.max_clock_skew = timedelta(hours=1)  # the test moved KIX's clock ahead of this receiver's

    class Message:
        method = "POST"
        headers = received.headers

    Message.url = url  # type: ignore[attr-defined]
    [result] = verifier.verify(
        Message,
        expect_tag="kix-webhook",
        require_components=("@method", "@target-uri", "content-type", "content-digest", "kix-event-id"),
        body=received.body,
    )
    assert result.body == received.body


def _open(received: Received, member: Member) -> dict[str, Any]:
    """joserfc alone decrypts the body with the agency's key."""
    opened = jwe.decrypt_compact(
        received.body, OKPKey.import_key(member.key.encryption), registry=JWE_REGISTRY
    )
    assert opened.protected["kid"] == member.key.kid
    assert opened.plaintext is not None
    document: dict[str, Any] = json.loads(opened.plaintext)
    return document


def test_events_arrive_signed_encrypted_in_order_through_failures_and_a_restart(
    enrol: Any,
    receiver: Receiver,
    deliverer: Deliverer,
    app: Any,
    db: Database,
    delivery_settings: Settings,
    clock: ShiftedClock,
    server_jwks: dict[str, Any],
) -> None:
    owner: Member = enrol("it-dcsa")
    agency: Member = enrol("de-bka")
    endpoint = agency.client.add_webhook(receiver.url, ["record.created", "record.updated"])
    created = [owner.client.create_record("alerts", alert())["id"] for _ in range(3)]
    owner.client.update_record("alerts", created[0], {"urgency": "low"}, etag='"v1"')
    receiver.fail_first = 2
    assert deliverer.run_once() == 1  # the first event fails: nothing overtakes it
    assert deliverer.run_once() == 0  # not due again yet
    clock.advance(timedelta(seconds=30))
    assert deliverer.run_once() == 1  # fails once more
    # The node restarts: a new deliverer picks up where the old one stopped.
    restarted = Deliverer(db, delivery_settings, app.state.server_key, app.state.vault, clock)
    clock.advance(timedelta(seconds=60))
    assert restarted.run_once() == 4
    restarted.close()
    events = [_open(received, agency) for received in receiver.received]
    ids = [event["event_id"] for event in events]
    assert ids[0] == ids[1] == ids[2]  # at least once: the retried event, always the same id
    assert [(e["type"], e["record_id"]) for e in events[2:]] == [
        *[("record.created", record_id) for record_id in created],
        ("record.updated", created[0]),
    ]
    for received, event in zip(receiver.received, events, strict=True):
        _independent_verify(received, receiver.url, server_jwks)
        assert received.headers["kix-event-id"] == event["event_id"]
        assert (
            verify_webhook(received.headers, received.body, server_jwks, agency.key, url=receiver.url)
            == event
        )
    log = agency.client.webhook_deliveries(endpoint["id"])["items"]
    assert sorted((d["state"], d["attempts"]) for d in log) == [("delivered", 1)] * 3 + [("delivered", 3)]


def test_a_dead_delivery_pauses_the_endpoint_until_redelivered(
    enrol: Any, receiver: Receiver, deliverer: Deliverer, clock: ShiftedClock
) -> None:
    owner: Member = enrol("it-dcsa")
    agency: Member = enrol("de-bka")
    endpoint = agency.client.add_webhook(receiver.url)
    owner.client.create_record("alerts", alert())
    owner.client.create_record("alerts", alert())
    receiver.status = 503
    for _ in range(3):
        deliverer.run_once()
        clock.advance(timedelta(hours=1))
    [paused] = agency.client.webhooks()["items"]
    assert paused["status"] == "paused"
    [dead] = agency.client.webhook_deliveries(endpoint["id"], state="dead")["items"]
    assert (dead["attempts"], dead["last_status"], dead["last_error"]) == (3, 503, "answered 503")
    assert deliverer.run_once() == 0  # a paused endpoint gets nothing, so order holds
    receiver.status = 204
    assert agency.client.redeliver_webhook(endpoint["id"], dead["id"])["state"] == "pending"
    assert deliverer.run_once() == 2
    assert agency.client.webhooks()["items"][0]["status"] == "active"


def test_redirects_and_slow_receivers_count_as_failures(
    enrol: Any, receiver: Receiver, deliverer: Deliverer
) -> None:
    agency: Member = enrol("de-bka")
    endpoint = agency.client.add_webhook(receiver.url)
    receiver.redirect_to = "https://example.org/elsewhere"
    agency.client.test_webhook(endpoint["id"])
    deliverer.run_once()
    [first] = agency.client.webhook_deliveries(endpoint["id"])["items"]
    assert (first["state"], first["last_status"]) == ("pending", 307)  # not followed
    assert len(receiver.received) == 1
    receiver.redirect_to = None
    receiver.delay = 2.0  # longer than the 1 s the receiver is given
    agency.client.redeliver_webhook(endpoint["id"], first["id"])
    deliverer.run_once()
    [slow] = agency.client.webhook_deliveries(endpoint["id"])["items"]
    assert slow["state"] == "pending"
    assert slow["last_error"].startswith("ReadTimeout")


def test_a_test_event_goes_to_its_endpoint_only(enrol: Any, receiver: Receiver, deliverer: Deliverer) -> None:
    agency: Member = enrol("de-bka")
    first = agency.client.add_webhook(receiver.url)
    second = agency.client.add_webhook(receiver.url + "/other")
    agency.client.test_webhook(first["id"])
    deliverer.run_once()
    assert [r.path for r in receiver.received] == ["/kix/events"]
    assert agency.client.webhook_deliveries(second["id"])["items"] == []
    removed = agency.client.remove_webhook(first["id"])
    assert removed["status"] == "removed"
    assert [e["id"] for e in agency.client.webhooks()["items"]] == [second["id"]]


def test_every_agency_receives_only_events_about_records_it_may_read(
    enrol: Any, receiver: Receiver, deliverer: Deliverer
) -> None:
    agencies = {name: enrol(name) for name in ("ag-a", "ag-b", "ag-c")}
    for member in agencies.values():
        member.client.add_webhook(receiver.url + "/" + member.agency_id)
    a = agencies["ag-a"].client
    records = {
        "all": a.create_record("alerts", alert())["id"],
        "to-b": a.create_record("alerts", alert(rules=rules(mode="agencies", agencies=["ag-b"])))["id"],
        "mine": a.create_record("alerts", alert(rules=rules(mode="owner_only")))["id"],
    }
    expected = {"ag-a": {"all", "to-b", "mine"}, "ag-b": {"all", "to-b"}, "ag-c": {"all"}}
    deliverer.run_once()
    names = {record_id: name for name, record_id in records.items()}
    got: dict[str, set[str]] = {name: set() for name in agencies}
    for received in receiver.received:
        agency_id = received.path.rsplit("/", 1)[1]
        event = _open(received, agencies[agency_id])
        got[agency_id].add(names[event["record_id"]])
    assert got == expected
    # The owner's access log says who was sent the record, by webhook, besides who asked for it.
    log = a.request("GET", f"/v1/alerts/{records['to-b']}/access-log")["items"]
    sent = sorted((item["agency"], item["route"]) for item in log if item["route"].startswith("webhook"))
    assert sent == [("ag-a", "webhook record.created"), ("ag-b", "webhook record.created")]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # loopback
        "https://10.1.2.3/hook",  # private
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://[::1]/hook",
        "http://example.org/hook",  # not https
        "https://user:secret@example.org/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_production_refuses_unsafe_webhook_urls(url: str) -> None:
    with pytest.raises(UnsafeAddress):
        resolve(url, private_allowed=False)


def test_the_api_refuses_unsafe_urls_in_production(
    enrol: Any, settings: Settings, db: Database, server_jwks: dict[str, Any], clock: ShiftedClock
) -> None:
    agency: Member = enrol("de-bka")
    production = create_app(settings.model_copy(update={"env": "production"}), database=db, clock=clock)
    with in_process_client(production, BASE_URL) as http:
        client = KixClient(BASE_URL, agency.key, server_jwks, http_client=http, clock=clock.timestamp)
        for url in ("https://127.0.0.1:8443/hook", "http://example.org/hook"):
            with pytest.raises(KixProblem) as refused:
                client.add_webhook(url)
            assert (refused.value.status, refused.value.type) == (422, "urn:kix:problem:validation-failed")
        with pytest.raises(KixProblem) as unknown:
            client.add_webhook("https://example.org/hook", ["record.exploded"])
        assert unknown.value.status == 422
        assert client.webhooks()["items"] == []


def test_delivery_checks_the_address_again(
    enrol: Any, receiver: Receiver, app: Any, db: Database, delivery_settings: Settings, clock: ShiftedClock
) -> None:
    # Registered where loopback is allowed; delivered by a production node, which resolves the name again
    # and refuses what now points inside (as after a changed DNS answer).
    agency: Member = enrol("de-bka")
    endpoint = agency.client.add_webhook(receiver.url)
    agency.client.test_webhook(endpoint["id"])
    production = delivery_settings.model_copy(update={"env": "production"})
    sender = Deliverer(db, production, app.state.server_key, app.state.vault, clock)
    sender.run_once()
    sender.close()
    assert receiver.received == []
    [delivery] = agency.client.webhook_deliveries(endpoint["id"])["items"]
    assert delivery["last_error"].startswith("refused: localhost resolves to a non-public address")


def test_verify_webhook_refuses_forgeries_replays_stale_and_foreign_deliveries(
    enrol: Any, receiver: Receiver, deliverer: Deliverer, server_jwks: dict[str, Any]
) -> None:
    agency: Member = enrol("de-bka")
    endpoint = agency.client.add_webhook(receiver.url)
    agency.client.test_webhook(endpoint["id"])
    deliverer.run_once()
    [delivery] = receiver.received
    seen: set[str] = set()

    def once(event_id: str) -> bool:
        if event_id in seen:
            return True
        seen.add(event_id)
        return False

    event = verify_webhook(
        delivery.headers, delivery.body, server_jwks, agency.key, url=receiver.url, seen=once
    )
    assert event["type"] == "webhook.test"
    with pytest.raises(WebhookRejected, match="already delivered"):
        verify_webhook(delivery.headers, delivery.body, server_jwks, agency.key, url=receiver.url, seen=once)
    with pytest.raises(WebhookRejected, match="too old"):
        verify_webhook(delivery.headers, delivery.body, server_jwks, agency.key, url=receiver.url, now=2e9)
    with pytest.raises(WebhookRejected, match="signature"):
        verify_webhook(delivery.headers, delivery.body, server_jwks, agency.key, url=receiver.url + "x")
    other = enrol("fr-ocrb")
    with pytest.raises(WebhookRejected, match="does not open"):
        verify_webhook(delivery.headers, delivery.body, server_jwks, other.key, url=receiver.url)
    forged = dict(delivery.headers) | {"kix-event-id": "01a20000-0000-7000-8000-000000000000"}
    with pytest.raises(WebhookRejected, match="signature"):
        verify_webhook(forged, delivery.body, server_jwks, agency.key, url=receiver.url)
