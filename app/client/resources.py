"""Named calls shared by the sync and async clients. Each returns what `request` returns: the decoded
JSON for KixClient, an awaitable of it for AsyncKixClient."""

from typing import Any
from urllib.parse import quote

import httpx

from app.client.codec import Codec


def _seg(value: str) -> str:
    return quote(value, safe="")


class AdminApi:
    base_url: str
    codec: Codec
    http: Any  # an httpx.Client or httpx.AsyncClient

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> Any:
        """Sign, encrypt, send, verify and decrypt one call; `actor` names who acts, for this call only."""
        request = self.codec.build(self.http, method, self.base_url + path, json, params, headers, actor)
        return self._send(request)

    def _send(self, request: httpx.Request) -> Any:
        raise NotImplementedError

    # session
    def whoami(self) -> Any:
        return self.request("GET", "/v1/whoami")

    def echo(self, payload: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/echo", json=payload)

    # agencies
    def create_agency(self, agency: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/admin/agencies", json=agency)

    def list_agencies(self, *, cursor: str | None = None, limit: int = 50) -> Any:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        return self.request("GET", "/v1/admin/agencies", params=params)

    def get_agency(self, agency_id: str) -> Any:
        return self.request("GET", f"/v1/admin/agencies/{_seg(agency_id)}")

    def suspend_agency(self, agency_id: str) -> Any:
        return self.request("POST", f"/v1/admin/agencies/{_seg(agency_id)}/suspend")

    def reactivate_agency(self, agency_id: str) -> Any:
        return self.request("POST", f"/v1/admin/agencies/{_seg(agency_id)}/reactivate")

    # keys
    def register_key(
        self, agency_id: str, public_keys: dict[str, Any], scopes: list[str], **validity: Any
    ) -> Any:
        body = {"kid": public_keys["kid"], "sign": public_keys["sign"], "encrypt": public_keys["encrypt"]}
        body |= {"scopes": scopes} | {name: value for name, value in validity.items() if value is not None}
        return self.request("POST", f"/v1/admin/agencies/{_seg(agency_id)}/keys", json=body)

    def list_keys(self, agency_id: str) -> Any:
        return self.request("GET", f"/v1/admin/agencies/{_seg(agency_id)}/keys")

    def narrow_key(self, kid: str, scopes: list[str]) -> Any:
        return self.request("PATCH", f"/v1/admin/keys/{_seg(kid)}", json={"scopes": scopes})

    def revoke_key(self, kid: str) -> Any:
        return self.request("POST", f"/v1/admin/keys/{_seg(kid)}/revoke")

    # groups
    def create_group(self, group: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/admin/groups", json=group)

    def list_groups(self) -> Any:
        return self.request("GET", "/v1/admin/groups")

    def get_group(self, group_id: str) -> Any:
        return self.request("GET", f"/v1/admin/groups/{_seg(group_id)}")

    def add_group_member(self, group_id: str, agency_id: str) -> Any:
        return self.request("PUT", f"/v1/admin/groups/{_seg(group_id)}/members/{_seg(agency_id)}")

    def remove_group_member(self, group_id: str, agency_id: str) -> Any:
        return self.request("DELETE", f"/v1/admin/groups/{_seg(group_id)}/members/{_seg(agency_id)}")


class RecordsApi(AdminApi):
    """Shared records. `kind` is the collection: "alerts", "suspects" or "leads"."""

    def create_record(self, kind: str, record: dict[str, Any], *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", f"/v1/{_seg(kind)}", json=record, headers=headers)

    def create_records(
        self,
        kind: str,
        records: list[dict[str, Any]],
        *,
        atomic: bool = False,
        idempotency_key: str | None = None,
    ) -> Any:
        """Up to 500 records in one call and one transaction: {"created", "invalid", "results"}, a result
        per record in order (created with its id and ETag, or invalid with its problem). With `atomic`,
        one invalid record refuses them all (KixProblem 422, listing the invalid ones)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = {"items": records, "atomic": atomic}
        return self.request("POST", f"/v1/{_seg(kind)}/batch", json=body, headers=headers)

    def get_record(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}")

    def list_records(self, kind: str, **filters: Any) -> Any:
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", f"/v1/{_seg(kind)}", params=params)

    def count_records(self, kind: str, **filters: Any) -> Any:
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", f"/v1/{_seg(kind)}/count", params=params)

    def update_record(self, kind: str, record_id: str, changes: dict[str, Any], *, etag: str | None) -> Any:
        headers = {"If-Match": etag} if etag is not None else None
        return self.request("PATCH", f"/v1/{_seg(kind)}/{_seg(record_id)}", json=changes, headers=headers)

    def withdraw_record(self, kind: str, record_id: str, reason: str) -> Any:
        return self.request("POST", f"/v1/{_seg(kind)}/{_seg(record_id)}/withdraw", json={"reason": reason})

    def purge_record(self, kind: str, record_id: str) -> Any:
        return self.request("POST", f"/v1/{_seg(kind)}/{_seg(record_id)}/purge")

    def record_revisions(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}/revisions")

    def contribute(self, kind: str, record_id: str, note_kind: str, text: str) -> Any:
        body = {"kind": note_kind, "text": text}
        return self.request("POST", f"/v1/{_seg(kind)}/{_seg(record_id)}/contributions", json=body)

    def contributions(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}/contributions")

    def ask_onward_sharing(self, kind: str, record_id: str, target: str, reason: str) -> Any:
        body = {"target": target, "reason": reason}
        return self.request("POST", f"/v1/{_seg(kind)}/{_seg(record_id)}/share-requests", json=body)

    def share_requests(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}/share-requests")

    def all_share_requests(self, kind: str, *, pending: bool = False) -> Any:
        """Onward-sharing requests on your records of `kind`, or made by you (pending: undecided only)."""
        params = {"pending": str(pending).lower()}
        return self.request("GET", f"/v1/{_seg(kind)}/share-requests", params=params)

    def decide_onward_sharing(
        self, kind: str, record_id: str, request_id: str, grant: bool, reason: str
    ) -> Any:
        path = f"/v1/{_seg(kind)}/{_seg(record_id)}/share-requests/{_seg(request_id)}/decision"
        return self.request("POST", path, json={"grant": grant, "reason": reason})

    def withdraw_share_request(self, kind: str, record_id: str, request_id: str, reason: str) -> Any:
        path = f"/v1/{_seg(kind)}/{_seg(record_id)}/share-requests/{_seg(request_id)}/withdraw"
        return self.request("POST", path, json={"reason": reason})

    def revoke_consent(self, kind: str, record_id: str, agency_id: str, reason: str) -> Any:
        path = f"/v1/{_seg(kind)}/{_seg(record_id)}/consents/{_seg(agency_id)}/revoke"
        return self.request("POST", path, json={"reason": reason})

    def links(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}/links")

    def add_link(self, kind: str, record_id: str, target: str, link_type: str = "related") -> Any:
        body = {"target": target, "type": link_type}
        return self.request("POST", f"/v1/{_seg(kind)}/{_seg(record_id)}/links", json=body)

    def remove_link(self, kind: str, record_id: str, link_id: str) -> Any:
        return self.request("DELETE", f"/v1/{_seg(kind)}/{_seg(record_id)}/links/{_seg(link_id)}")

    def notices(self, kind: str, *, pending: bool = True) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/notices", params={"pending": str(pending).lower()})

    def acknowledge_notice(self, kind: str, notice_id: str) -> Any:
        return self.request("POST", f"/v1/{_seg(kind)}/notices/{_seg(notice_id)}/ack")

    def notice_receipts(self, kind: str, record_id: str) -> Any:
        return self.request("GET", f"/v1/{_seg(kind)}/{_seg(record_id)}/notices")


class MatchingApi(RecordsApi):
    def match(self, criteria: dict[str, Any]) -> Any:
        """Hit/no-hit: names, dates_of_birth, documents, accounts, wallets, phones."""
        return self.request("POST", "/v1/matches", json=criteria)

    def hits(self) -> Any:
        return self.request("GET", "/v1/hits")

    def request_access(self, hit_id: str, reason: str) -> Any:
        return self.request("POST", f"/v1/hits/{_seg(hit_id)}/access-requests", json={"reason": reason})

    def access_requests(self) -> Any:
        return self.request("GET", "/v1/access-requests")

    def decide_access(self, request_id: str, grant: bool, reason: str) -> Any:
        path = f"/v1/access-requests/{_seg(request_id)}/decision"
        return self.request("POST", path, json={"grant": grant, "reason": reason})

    def withdraw_access_request(self, request_id: str, reason: str) -> Any:
        path = f"/v1/access-requests/{_seg(request_id)}/withdraw"
        return self.request("POST", path, json={"reason": reason})


class EventsApi(MatchingApi):
    """Webhook endpoints (the feed is `client.feed`)."""

    def add_webhook(self, url: str, types: list[str] | None = None) -> Any:
        return self.request("POST", "/v1/webhooks", json={"url": url, "types": types or []})

    def webhooks(self) -> Any:
        return self.request("GET", "/v1/webhooks")

    def remove_webhook(self, endpoint_id: str) -> Any:
        return self.request("DELETE", f"/v1/webhooks/{_seg(endpoint_id)}")

    def test_webhook(self, endpoint_id: str) -> Any:
        return self.request("POST", f"/v1/webhooks/{_seg(endpoint_id)}/test")

    def webhook_deliveries(self, endpoint_id: str, *, state: str | None = None) -> Any:
        params = {"state": state} if state else None
        return self.request("GET", f"/v1/webhooks/{_seg(endpoint_id)}/deliveries", params=params)

    def redeliver_webhook(self, endpoint_id: str, delivery_id: str) -> Any:
        path = f"/v1/webhooks/{_seg(endpoint_id)}/deliveries/{_seg(delivery_id)}/redeliver"
        return self.request("POST", path)
