"""SDK calls for joint analysis: joint cases and their link graph, trends, and the practices library."""

from typing import Any

from app.client.cooperation import CooperationApi
from app.client.resources import _seg


def _params(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class AnalysisApi(CooperationApi):
    # joint cases
    def open_case(self, title: str, *, summary: str = "", invite: list[str] | None = None) -> Any:
        body = {"title": title, "summary": summary, "invite": invite or []}
        return self.request("POST", "/v1/cases", json=body)

    def cases(self, *, status: str | None = None, cursor: str | None = None, limit: int | None = None) -> Any:
        return self.request("GET", "/v1/cases", params=_params(status=status, cursor=cursor, limit=limit))

    def get_case(self, case_id: str) -> Any:
        return self.request("GET", f"/v1/cases/{_seg(case_id)}")

    def case_graph(self, case_id: str) -> Any:
        return self.request("GET", f"/v1/cases/{_seg(case_id)}/graph")

    def invite_to_case(self, case_id: str, agencies: list[str]) -> Any:
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/participants", json={"agencies": agencies})

    def remove_from_case(self, case_id: str, agency_id: str) -> Any:
        return self.request("DELETE", f"/v1/cases/{_seg(case_id)}/participants/{_seg(agency_id)}")

    def answer_case(self, case_id: str, *, accept: bool) -> Any:
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/{'accept' if accept else 'decline'}")

    def leave_case(self, case_id: str) -> Any:
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/leave")

    def close_case(self, case_id: str) -> Any:
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/close")

    def add_to_case(self, case_id: str, record_id: str, *, share: bool = False) -> Any:
        body = {"record": record_id, "share_with_participants": share}
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/records", json=body)

    def share_in_case(self, case_id: str, record_id: str, *, share: bool = True) -> Any:
        path = f"/v1/cases/{_seg(case_id)}/records/{_seg(record_id)}/consent"
        return self.request("PUT" if share else "DELETE", path)

    def remove_from_case_records(self, case_id: str, record_id: str) -> Any:
        return self.request("DELETE", f"/v1/cases/{_seg(case_id)}/records/{_seg(record_id)}")

    def refer_in_case(self, case_id: str, kind: str, ref_id: str) -> Any:
        """kind: request (a cooperation request you are a party to) or crisis (a room you are in)."""
        body = {"kind": kind, "id": ref_id}
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/references", json=body)

    def unrefer_in_case(self, case_id: str, kind: str, ref_id: str) -> Any:
        return self.request("DELETE", f"/v1/cases/{_seg(case_id)}/references/{_seg(kind)}/{_seg(ref_id)}")

    def link_in_case(
        self, case_id: str, source: str, target: str, link_type: str, confidence: str = "probable"
    ) -> Any:
        body = {"source": source, "target": target, "type": link_type, "confidence": confidence}
        return self.request("POST", f"/v1/cases/{_seg(case_id)}/links", json=body)

    # trends
    def trends(
        self,
        *,
        by: str = "country,year",
        measure: str = "alerts",
        since: str | None = None,
        until: str | None = None,
        country: str | None = None,
    ) -> Any:
        """by: one or two of country, region, category, month, quarter, year, band (comma-separated)."""
        params = _params(by=by, measure=measure, since=since, until=until, country=country)
        return self.request("GET", "/v1/stats/trends", params=params)

    def classification(self) -> Any:
        return self.request("GET", "/v1/stats/classification")

    # practices
    def publish_practice(self, practice: dict[str, Any]) -> Any:
        return self.request("POST", "/v1/practices", json=practice)

    def practices(
        self,
        *,
        q: str | None = None,
        theme: str | None = None,
        country: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Any:
        params = _params(q=q, theme=theme, country=country, cursor=cursor, limit=limit)
        return self.request("GET", "/v1/practices", params=params)

    def get_practice(self, practice_id: str) -> Any:
        return self.request("GET", f"/v1/practices/{_seg(practice_id)}")

    def edit_practice(self, practice_id: str, changes: dict[str, Any], *, etag: str) -> Any:
        return self.request(
            "PATCH", f"/v1/practices/{_seg(practice_id)}", json=changes, headers={"If-Match": etag}
        )

    def comment_practice(self, practice_id: str, text: str) -> Any:
        return self.request("POST", f"/v1/practices/{_seg(practice_id)}/comments", json={"text": text})
