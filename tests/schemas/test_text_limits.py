"""Text is checked as the schema says, so a client that trusts openapi/openapi.json is never surprised:
maxLength counts the text as sent, whitespace included; the text is then stripped, and whitespace alone
is refused, which the schema declares with the pattern `\\S` on every required text of a request body."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.client import KixProblem
from app.schemas.common import InputModel
from tests.conftest import Member
from tests.records_data import alert

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text())


def _input_models(base: type[InputModel] = InputModel) -> list[type[InputModel]]:
    found = []
    for model in base.__subclasses__():
        found += [model, *_input_models(model)]
    return found


def _texts(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, list):
        return [text for item in schema for text in _texts(item)]
    if not isinstance(schema, dict):
        return []
    own = [schema] if schema.get("type") == "string" else []
    return own + [text for value in schema.values() for text in _texts(value)]


def test_whitespace_alone_and_text_over_its_limit_as_sent_are_refused(enrol: Any) -> None:
    owner: Member = enrol("it-dcsa")
    created = owner.client.create_record("alerts", alert())
    for reason in ("   ", "spaces after" + " " * 1000):
        with pytest.raises(KixProblem) as refused:
            owner.client.withdraw_record("alerts", created["id"], reason)
        assert refused.value.status == 422
        assert refused.value.problem["errors"][0]["loc"][-1] == "reason"
    assert owner.client.get_record("alerts", created["id"])["withdrawn_at"] is None  # nothing changed
    withdrawn = owner.client.withdraw_record("alerts", created["id"], "  released unharmed  ")
    assert withdrawn["withdrawal_reason"] == "released unharmed"


def test_every_required_text_of_a_request_body_declares_that_whitespace_alone_is_refused() -> None:
    schemas = OPENAPI["components"]["schemas"]
    checked = 0
    for model in _input_models():
        for name in (model.__name__, f"{model.__name__}-Input"):
            for text in _texts(schemas.get(name, {})):
                if text.get("minLength", 0) >= 1:
                    assert {"pattern", "enum", "const", "format"} & text.keys(), (name, text)
                    checked += 1
    assert checked > 20
    reason = schemas["WithdrawRequest"]["properties"]["reason"]
    assert (reason["pattern"], reason["maxLength"]) == (r"\S", 1000)
