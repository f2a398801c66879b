"""Administration through signed calls: agencies, keys, groups."""

from typing import Any

import pytest

from app.client import KixClient, KixProblem
from app.crypto.keys import KeyPair
from tests.conftest import Member, agency_body


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


def test_create_get_list_agencies(admin: KixClient) -> None:
    created = admin.create_agency(agency_body("fr-ocrb", country="FR"))
    assert created["status"] == "active"
    assert created["country"] == "FR"
    assert admin.get_agency("fr-ocrb")["name"] == "Agency fr-ocrb"
    ids = [agency["id"] for agency in admin.list_agencies()["items"]]
    assert ids == ["fr-ocrb", "kix-operator"]


def test_agency_list_is_keyset_paginated(admin: KixClient) -> None:
    for index in range(5):
        admin.create_agency(agency_body(f"agency-{index}"))
    seen: list[str] = []
    cursor = None
    while True:
        page = admin.list_agencies(cursor=cursor, limit=2)
        seen += [agency["id"] for agency in page["items"]]
        cursor = page["page"]["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert seen == [f"agency-{i}" for i in range(5)] + ["kix-operator"]


def test_tampered_cursor_is_400(admin: KixClient) -> None:
    assert _problem(admin.list_agencies, cursor="not-a-cursor") == (400, "invalid-cursor")


@pytest.mark.parametrize(
    "change",
    [
        {"country": "XX"},
        {"country": "de"},
        {"kind": "militia"},
        {"scopes": ["alerts:read", "everything"]},
        {"scopes": ["admin"]},  # admin only for operators
        {"id": "Has Spaces"},
        {"name": "n" * 201},
        {"contact": {"name": "Desk", "phone": "0301234", "email": "desk@example.org"}},
        {"owner": "someone"},  # unknown fields are refused, not ignored
    ],
)
def test_invalid_agency_is_422_and_not_created(admin: KixClient, change: dict[str, Any]) -> None:
    body = agency_body("bad-agency") | change
    assert _problem(admin.create_agency, body) == (422, "validation-failed")
    assert [a["id"] for a in admin.list_agencies()["items"]] == ["kix-operator"]


def test_duplicate_agency_is_409(admin: KixClient) -> None:
    admin.create_agency(agency_body("de-bka"))
    assert _problem(admin.create_agency, agency_body("de-bka", country="AT")) == (409, "conflict")
    assert admin.get_agency("de-bka")["country"] == "DE"


def test_unknown_agency_is_404(admin: KixClient) -> None:
    assert _problem(admin.get_agency, "nobody") == (404, "not-found")
    assert _problem(admin.suspend_agency, "nobody") == (404, "not-found")


def test_operator_can_not_be_suspended(admin: KixClient) -> None:
    assert _problem(admin.suspend_agency, "kix-operator") == (409, "conflict")
    assert admin.whoami()["agency_id"] == "kix-operator"


def test_register_keys_and_use_them(admin: KixClient, enrol: Any) -> None:
    member: Member = enrol("de-bka", key_scopes=["alerts:read", "alerts:write"])
    me = member.client.whoami()
    assert me == {
        "agency_id": "de-bka",
        "kid": member.key.kid,
        "actor": "analyst-1",
        "scopes": ["alerts:read", "alerts:write"],
    }
    keys = admin.list_keys("de-bka")["items"]
    assert [key["kid"] for key in keys] == [member.key.kid]
    assert keys[0]["sign"]["x"] == member.key.sign_jwk["x"]
    assert "d" not in keys[0]["sign"]


def test_private_key_or_excess_scopes_are_refused(admin: KixClient) -> None:
    admin.create_agency(agency_body("de-bka", scopes=["alerts:read"]))
    key = KeyPair.generate()
    private = key.to_json()
    assert _problem(admin.register_key, "de-bka", private, ["alerts:read"]) == (422, "validation-failed")
    public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}
    assert _problem(admin.register_key, "de-bka", public, ["alerts:write"]) == (422, "validation-failed")
    swapped = {"kid": key.kid, "sign": key.encrypt_jwk, "encrypt": key.sign_jwk}
    assert _problem(admin.register_key, "de-bka", swapped, ["alerts:read"]) == (422, "validation-failed")
    assert admin.list_keys("de-bka")["items"] == []
    admin.register_key("de-bka", public, ["alerts:read"])
    assert _problem(admin.register_key, "de-bka", public, ["alerts:read"]) == (409, "conflict")


def test_narrow_scopes_takes_effect_and_cannot_widen(admin: KixClient, enrol: Any) -> None:
    member: Member = enrol("de-bka", key_scopes=["alerts:read", "alerts:write", "stats:read"])
    admin.narrow_key(member.key.kid, ["alerts:read"])
    assert member.client.whoami()["scopes"] == ["alerts:read"]
    assert _problem(admin.narrow_key, member.key.kid, ["alerts:read", "alerts:write"]) == (
        422,
        "validation-failed",
    )
    assert member.client.whoami()["scopes"] == ["alerts:read"]


def test_key_scopes_are_capped_by_the_agency(admin: KixClient, enrol: Any, db: Any) -> None:
    member: Member = enrol("de-bka", scopes=["alerts:read", "stats:read"])
    from app.models import Agency

    with db.transaction() as session:  # the agency's allowance shrinks (no API for that yet)
        session.get(Agency, "de-bka").scopes = ["stats:read"]
    assert member.client.whoami()["scopes"] == ["stats:read"]


def test_revoke_is_effective_immediately(admin: KixClient, enrol: Any) -> None:
    member: Member = enrol("de-bka")
    assert member.client.whoami()["agency_id"] == "de-bka"
    revoked = admin.revoke_key(member.key.kid)
    assert revoked["revoked_at"] is not None
    assert _problem(member.client.whoami) == (401, "key-revoked")


def test_groups_and_membership(admin: KixClient) -> None:
    for agency_id in ("de-bka", "it-dcsa", "fr-ocrb"):
        admin.create_agency(agency_body(agency_id))
    group = admin.create_group(
        {"id": "eu-ransom", "name": "EU ransom cases", "members": ["it-dcsa", "de-bka"]}
    )
    assert group["members"] == ["de-bka", "it-dcsa"]
    assert admin.add_group_member("eu-ransom", "fr-ocrb")["members"] == ["de-bka", "fr-ocrb", "it-dcsa"]
    assert admin.remove_group_member("eu-ransom", "de-bka")["members"] == ["fr-ocrb", "it-dcsa"]
    assert admin.get_group("eu-ransom")["members"] == ["fr-ocrb", "it-dcsa"]
    assert [g["id"] for g in admin.list_groups()["items"]] == ["eu-ransom"]


def test_group_errors_change_nothing(admin: KixClient) -> None:
    admin.create_agency(agency_body("de-bka"))
    assert _problem(admin.create_group, {"id": "g1", "name": "G", "members": ["ghost"]}) == (404, "not-found")
    assert admin.list_groups()["items"] == []
    admin.create_group({"id": "g1", "name": "G"})
    assert _problem(admin.create_group, {"id": "g1", "name": "again"}) == (409, "conflict")
    assert _problem(admin.add_group_member, "g1", "ghost") == (404, "not-found")
    assert _problem(admin.remove_group_member, "g1", "de-bka") == (404, "not-found")
    assert _problem(admin.add_group_member, "nope", "de-bka") == (404, "not-found")
    assert admin.get_group("g1")["members"] == []


def test_bootstrap_runs_once(db: Any, tmp_path: Any, admin: KixClient) -> None:
    from app.bootstrap import bootstrap_operator
    from app.errors import Conflict

    with pytest.raises(Conflict):
        bootstrap_operator(db, tmp_path / "second.key.json")
    assert not (tmp_path / "second.key.json").exists()
