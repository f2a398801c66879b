"""SDK calls for cooperation: requests between agencies, the directory, crisis rooms, lead intake."""

from typing import Any

from app.client.resources import EventsApi, _seg


class CooperationApi(EventsApi):
    # requests
    def create_request(self, request: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/requests", json=request)

    def requests(self, **filters: Any) -> Any:
        """role (requester|addressee|copied), state, kind, crisis, cursor, limit."""
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", "/v1/requests", params=params)

    def get_request(self, request_id: str) -> Any:
        return self.request("GET", f"/v1/requests/{_seg(request_id)}")

    def act_on_request(
        self,
        request_id: str,
        action: str,
        *,
        note: str | None = None,
        grounds: list[str] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Any:
        body: dict[str, Any] = {"action": action, "grounds": grounds or [], "attachments": attachments or []}
        if note is not None:
            body["note"] = note
        return self.request("POST", f"/v1/requests/{_seg(request_id)}/transitions", json=body)

    # the directory
    def directory(self, **filters: Any) -> Any:
        """country, kind, accepts, central_authority_for."""
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", "/v1/directory", params=params)

    def directory_entry(self, agency_id: str) -> Any:
        return self.request("GET", f"/v1/directory/{_seg(agency_id)}")

    def put_directory_entry(self, agency_id: str, entry: dict[str, Any]) -> Any:
        return self.request("PUT", f"/v1/directory/{_seg(agency_id)}", json=entry)

    def victim_services(self, **filters: Any) -> Any:
        """country, kind, language."""
        params = {name: value for name, value in filters.items() if value is not None}
        return self.request("GET", "/v1/directory/victim-services", params=params)

    def add_victim_service(self, service: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/directory/victim-services", json=service)

    def remove_victim_service(self, service_id: str) -> Any:
        return self.request("DELETE", f"/v1/directory/victim-services/{_seg(service_id)}")

    # crisis rooms
    def open_crisis(self, alert_id: str, members: list[str]) -> Any:
        return self.request("POST", "/v1/crises", json={"alert": alert_id, "members": members})

    def crises(self) -> Any:
        return self.request("GET", "/v1/crises")

    def crisis(self, room_id: str) -> Any:
        return self.request("GET", f"/v1/crises/{_seg(room_id)}")

    def add_crisis_entry(self, room_id: str, kind: str, text: str) -> Any:
        return self.request("POST", f"/v1/crises/{_seg(room_id)}/entries", json={"kind": kind, "text": text})

    def invite_to_crisis(self, room_id: str, members: list[str]) -> Any:
        return self.request("POST", f"/v1/crises/{_seg(room_id)}/members", json={"members": members})

    def close_crisis(self, room_id: str, outcome: str, concessions: dict[str, Any]) -> Any:
        body = {"outcome": outcome, "concessions": concessions}
        return self.request("POST", f"/v1/crises/{_seg(room_id)}/close", json=body)

    # private partners' leads, as their FIU takes them in
    def lead_intake(self, record_id: str) -> Any:
        return self.request("GET", f"/v1/leads/{_seg(record_id)}/intake")

    def set_lead_intake(self, record_id: str, status: str) -> Any:
        return self.request("POST", f"/v1/leads/{_seg(record_id)}/intake", json={"status": status})
