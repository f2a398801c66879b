"""Fifty updates of one record, all carrying the same ETag, sent at once to `kix serve` with two workers:
exactly one is applied, every other is refused with 412, and the record holds exactly one new revision."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.client import KixClient, KixProblem
from app.config import Settings
from app.crypto.keystore import load_server_keys
from tests.conftest import Member
from tests.live import kix_server
from tests.records_data import alert

pytestmark = pytest.mark.live
UPDATES = 50


def test_fifty_updates_with_one_etag_apply_exactly_once(settings: Settings, enrol: Any) -> None:
    owner: Member = enrol("it-dcsa")
    created = owner.client.create_record("alerts", alert())
    served_keys = load_server_keys(settings.keys_dir, create=False)[0].public_jwks()
    with kix_server(settings.database_url, settings.keys_dir, "--workers", "2") as base_url:

        def update(number: int) -> int:
            # A client (and connection) each, so the updates spread over both workers.
            with KixClient(base_url, owner.key, served_keys, actor=f"analyst-{number}") as client:
                try:
                    client.update_record(
                        "alerts", created["id"], {"modus_operandi": f"update {number}"}, etag=created["etag"]
                    )
                except KixProblem as problem:
                    return problem.status
                return 200

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(update, range(UPDATES)))
        with KixClient(base_url, owner.key, served_keys) as client:
            revisions = client.record_revisions("alerts", created["id"])["items"]
            current = client.get_record("alerts", created["id"])
    assert sorted(statuses) == [200] + [412] * (UPDATES - 1)
    assert [revision["version"] for revision in revisions] == [1, 2]
    assert current["version"] == 2
    winner = statuses.index(200)
    assert current["modus_operandi"] == f"update {winner}"
