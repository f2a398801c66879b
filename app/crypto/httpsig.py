"""RFC 9421 HTTP Message Signatures: signature bases, Ed25519 signing and verification.

Hand-written because the part KIX needs is small and security-critical (strict parsing, `;req`
components for responses bound to their request) and the available packages either lack `;req` or
wrap a particular HTTP client. Structured-field parsing and serialisation come from `http_sf`; the
Ed25519 primitive from `cryptography`; serialisation, on the hot path of every request, by the
small `structured` module. Checked byte for byte against RFC 9421 Appendix B.2.6 and
against an independent implementation in the test suite.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.crypto import structured

Component = tuple[str, dict[str, Any]]
"""A covered component: its name (a lower-case field name or a derived "@..." name) and parameters."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SUPPORTED_COMPONENT_PARAMS = {"req"}
_PARAM_TYPES: dict[str, type] = {
    "created": int,
    "expires": int,
    "nonce": str,
    "keyid": str,
    "alg": str,
    "tag": str,
}


class SignatureError(Exception):
    """A signature is missing, malformed, or does not verify. `reason` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class HttpMessage:
    """What a signature can see of a request or a response.

    `headers` maps lower-case field names to their value (repeated fields already joined with ", ").
    A response carries the request it answers in `request`, so components with `;req` resolve there.
    """

    headers: Mapping[str, str]
    method: str | None = None
    target_uri: str | None = None
    status: int | None = None
    request: "HttpMessage | None" = None


@dataclass(frozen=True)
class ReceivedSignature:
    """One signature taken from the Signature-Input and Signature fields of a message."""

    label: str
    components: list[Component]
    params: dict[str, Any] = field(default_factory=dict)
    signature: bytes = b""

    def param(self, name: str) -> Any:
        return self.params.get(name)


def _derived_value(message: HttpMessage, name: str) -> str:
    if name == "@status":
        if message.status is None:
            raise SignatureError("component-missing", "@status is only defined for responses")
        return str(message.status)
    if message.method is None or message.target_uri is None:
        raise SignatureError("component-missing", f"{name} is only defined for requests")
    if name == "@method":
        return message.method
    if name == "@target-uri":
        # The target URI has no fragment (RFC 9110 section 7.1): a client never sends it, so a signer
        # must not cover it (the server would verify another base and refuse).
        return message.target_uri.split("#", 1)[0]
    url = urlsplit(message.target_uri)
    if name == "@scheme":
        return url.scheme.lower()
    if name == "@authority":
        host = (url.hostname or "").lower()
        if url.port is not None and url.port != _DEFAULT_PORTS.get(url.scheme.lower()):
            return f"{host}:{url.port}"
        return host
    if name == "@path":
        return url.path or "/"
    if name == "@query":
        return f"?{url.query}"
    if name == "@request-target":
        return (url.path or "/") + (f"?{url.query}" if url.query else "")
    raise SignatureError("component-unsupported", f"derived component {name} is not supported")


def component_value(message: HttpMessage, name: str, params: Mapping[str, Any]) -> str:
    """The value of one covered component (RFC 9421 section 2)."""
    unsupported = set(params) - _SUPPORTED_COMPONENT_PARAMS
    if unsupported:
        raise SignatureError(
            "component-unsupported", f"component parameter(s) {sorted(unsupported)} unsupported"
        )
    source = message
    if params.get("req"):
        if message.request is None:
            raise SignatureError("component-missing", f"{name};req needs the request a response answers")
        source = message.request
    if name.startswith("@"):
        value = _derived_value(source, name)
    else:
        if name != name.lower():
            raise SignatureError("signature-malformed", "covered field names must be lower case")
        found = source.headers.get(name)
        if found is None:
            raise SignatureError("component-missing", f"covered field {name!r} is not in the message")
        value = found.strip()
    if "\n" in value or "\r" in value:
        raise SignatureError("signature-malformed", f"component {name} contains a line break")
    if not value.isascii():
        # The signature base is ASCII (RFC 9421 section 2.5): either side could otherwise sign other bytes
        # than the other verifies. (The `bs` parameter, which wraps such values, is not supported.)
        raise SignatureError("signature-malformed", f"covered component {name} is not ASCII")
    return value


def signature_base(
    message: HttpMessage, components: list[Component], params: Mapping[str, Any]
) -> tuple[bytes, str]:
    """Return the signature base (RFC 9421 section 2.5) and the serialised signature parameters."""
    signature_params = structured.inner_list(components, params)
    lines: list[str] = []
    seen: set[str] = set()
    for name, component_params in components:
        identifier = structured.item(name, component_params)
        if identifier in seen:
            raise SignatureError("signature-malformed", f"component {identifier} is covered twice")
        seen.add(identifier)
        lines.append(f"{identifier}: {component_value(message, name, component_params)}")
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines).encode("utf-8"), signature_params


def sign(
    message: HttpMessage,
    *,
    label: str,
    components: list[Component],
    params: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
) -> tuple[str, str]:
    """Sign `message`; return the Signature-Input and Signature field values."""
    base, signature_params = signature_base(message, components, params)
    signature = private_key.sign(base)
    return (
        f"{structured.key(label)}={signature_params}",
        f"{structured.key(label)}={structured.byte_sequence(signature)}",
    )


def _parse_dictionary(value: str, field_name: str) -> dict[str, Any]:
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("signature-malformed", f"{field_name} is not a structured dictionary") from exc
    assert isinstance(parsed, dict)  # noqa: S101 - tltype="dictionary" guarantees it
    return parsed


def _checked_components(members: Any) -> list[Component]:
    if not isinstance(members, list):
        raise SignatureError("signature-malformed", "Signature-Input member is not an inner list")
    components: list[Component] = []
    for item in members:
        name, params = item
        if not isinstance(name, str):
            raise SignatureError("signature-malformed", "covered components must be strings")
        components.append((name, dict(params)))
    return components


def _checked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in params.items():
        expected = _PARAM_TYPES.get(name)
        if expected is None:
            raise SignatureError("signature-malformed", f"unknown signature parameter {name!r}")
        if type(value) is not expected:
            raise SignatureError("signature-malformed", f"signature parameter {name!r} has the wrong type")
        checked[name] = value
    return checked


def find_signature(
    signature_input: str | None, signature: str | None, *, tag: str | None = None, label: str | None = None
) -> ReceivedSignature:
    """Pick the one signature whose `tag` parameter is `tag` (or, failing a tag, whose label is `label`),
    checking its syntax strictly."""
    if not signature_input or not signature:
        raise SignatureError("signature-missing", "Signature and Signature-Input fields are required")
    inputs = _parse_dictionary(signature_input, "Signature-Input")
    signatures = _parse_dictionary(signature, "Signature")
    if tag is not None:
        tagged = [
            name
            for name, member in inputs.items()
            if isinstance(member[1], dict) and member[1].get("tag") == tag
        ]
        if not tagged:
            raise SignatureError("tag-missing", f'no signature has tag="{tag}"')
        if len(tagged) > 1:
            raise SignatureError("signature-malformed", f'more than one signature has tag="{tag}"')
        label = tagged[0]
    if label is None or label not in inputs:
        raise SignatureError("signature-missing", f"no signature labelled {label!r}")
    members, params = inputs[label]
    if label not in signatures:
        raise SignatureError("signature-malformed", f"Signature has no member {label!r}")
    value, _ = signatures[label]
    if not isinstance(value, bytes):
        raise SignatureError("signature-malformed", "signature value is not a byte sequence")
    return ReceivedSignature(
        label=label,
        components=_checked_components(members),
        params=_checked_params(params),
        signature=value,
    )


def verify(message: HttpMessage, received: ReceivedSignature, public_key: Ed25519PublicKey) -> None:
    """Raise SignatureError unless `received` is a valid Ed25519 signature over `message`."""
    base, _ = signature_base(message, received.components, received.params)
    try:
        public_key.verify(received.signature, base)
    except InvalidSignature as exc:
        raise SignatureError("signature-invalid", "the signature does not verify") from exc
