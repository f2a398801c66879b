"""openapi/openapi.json is what `kix openapi export` writes today, and documents security and problems."""

import json
from pathlib import Path

from app.errors import PROBLEM_TYPES
from app.openapi_export import export_openapi

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_spec_is_current() -> None:
    assert SPEC.read_text(encoding="utf-8") == export_openapi(), (
        "run `kix openapi export` and commit the result"
    )


def test_spec_declares_security_and_every_problem_type() -> None:
    spec = json.loads(export_openapi())
    assert spec["components"]["securitySchemes"]["kixSignature"]["name"] == "Signature"
    assert set(spec["components"]["schemas"]["ProblemType"]["enum"]) == {
        p.uri() for p in PROBLEM_TYPES.values()
    }
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    for path, method, operation in operations:
        if path in {"/healthz", "/readyz", "/.well-known/kix-keys"}:
            assert "security" not in operation
        else:
            assert "kixSignature" in operation["security"][0], f"{method} {path}"
            assert "401" in operation["responses"]
    admin_ops = [op for path, _m, op in operations if path.startswith("/v1/admin")]
    assert admin_ops
    assert all(op["security"] == [{"kixSignature": ["admin"]}] for op in admin_ops)
