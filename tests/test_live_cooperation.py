"""Cooperation end to end on a live server through the SDK: a mutual legal assistance request with a
linked suspect, acknowledged, information requested and provided, executed; a freezing request executed,
the lead frozen, its lapse warned by the scheduler (on a moved clock); every step arriving in the feed."""

from datetime import timedelta
from typing import Any

import pytest

from app.client import KixClient
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.crypto.keystore import load_server_keys
from app.db import Database
from app.scheduler import Scheduler
from tests.conftest import ALL_BUT_ADMIN, agency_body
from tests.live import kix_server
from tests.records_data import cooperation_request, lead, suspect

pytestmark = pytest.mark.live


def _agency(admin: KixClient, agency_id: str, base_url: str, jwks: dict[str, Any]) -> KixClient:
    admin.create_agency(agency_body(agency_id))
    key = KeyPair.generate()
    admin.register_key(
        agency_id, {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}, ALL_BUT_ADMIN
    )
    return KixClient(base_url, key, jwks, actor=f"{agency_id}-analyst")


def test_requests_end_to_end_on_a_live_server(settings: Settings, admin_key: KeyPair, db: Database) -> None:
    jwks = load_server_keys(settings.keys_dir, create=True)[0].public_jwks()
    with kix_server(settings.database_url, settings.keys_dir) as base_url:
        admin = KixClient(base_url, admin_key, jwks)
        requester = _agency(admin, "de-bka", base_url, jwks)
        addressee = _agency(admin, "it-dcsa", base_url, jwks)
        person = requester.create_record(
            "suspects", suspect(rules={**suspect()["rules"], "distribution": {"mode": "owner_only"}})
        )
        mla = requester.create_request(cooperation_request("it-dcsa", linked_records=[person["id"]]))
        assert addressee.get_record("suspects", person["id"])["id"] == person["id"]
        addressee.act_on_request(mla["id"], "acknowledge", note="received")
        addressee.act_on_request(mla["id"], "request_information", note="which account?")
        requester.act_on_request(
            mla["id"],
            "provide_information",
            note="see attachment",
            attachments=[
                {
                    "name": "account",
                    "media_type": "application/json",
                    "content": {"iban": "DE89370400440532013000"},
                }
            ],
        )
        done = addressee.act_on_request(mla["id"], "execute", note="records sent")
        assert done["state"] == "executed"
        assert [step["name"] for step in done["transitions"]] == [
            "open", "submit", "acknowledge", "request_information", "provide_information", "execute",
        ]  # fmt: skip
        assert done["attachments"][0]["from"] == "de-bka"

        asset = requester.create_record("leads", lead())
        clock = ShiftedClock()
        expires = (clock.now() + timedelta(days=10)).date().isoformat()
        order = {"leads": [asset["id"]], "amount": "1000.00", "currency": "EUR", "order_reference": "F-1"}
        freezing = requester.create_request(
            cooperation_request("it-dcsa", kind="freezing", asset_order=order | {"order_expires_on": expires})
        )
        for action in ("acknowledge", "start", "execute"):
            addressee.act_on_request(freezing["id"], action)
        assert requester.get_record("leads", asset["id"])["status"] == "frozen"
        # The scheduler, on a clock moved past the 14-day mark (10 days are left) and then the 48-hour one.
        Scheduler(db, settings, clock).run_due()
        clock.advance(timedelta(days=8, hours=1))
        Scheduler(db, settings, clock).run_due()
        events = list(requester.feed.iter(follow=False))
        steps = [e["data"]["action"] for e in events if e["type"] == "cooperation_request.changed"]
        assert steps[:6] == [
            "submit",
            "acknowledge",
            "request_information",
            "provide_information",
            "execute",
            "submit",
        ]
        lapsing = [e["data"]["threshold"] for e in events if e["type"] == "freeze.lapsing"]
        assert lapsing == ["14d", "48h"]
        assert (
            addressee.feed.page(types=["cooperation_request.changed"])["items"][0]["data"]["request_id"]
            == mla["id"]
        )
