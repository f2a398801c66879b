from app.client import KixClient


def test_whoami_round_trip(admin: KixClient) -> None:
    me = admin.whoami()
    assert me["agency_id"] == "kix-operator"
    assert me["actor"] == "admin-tester"
    assert "admin" in me["scopes"]


def test_echo(admin: KixClient) -> None:
    assert admin.echo({"hello": "world"}) == {"agency_id": "kix-operator", "payload": {"hello": "world"}}
