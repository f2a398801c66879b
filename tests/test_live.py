"""`kix serve` for real: several uvicorn workers share one database, replays are refused across them, a
revoked key on every one of them at once, and TLS with client certificates (mutual TLS) works end to end."""

import os
import signal
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.client import KixClient, KixProblem
from app.config import Settings
from app.crypto.keys import KeyPair
from app.crypto.keystore import load_server_keys
from tests.live import kix_server
from tests.signing import problem_type

pytestmark = pytest.mark.live


@pytest.fixture
def served_keys(settings: Settings, admin_key: KeyPair) -> dict[str, Any]:
    """The server key the live process will load (conftest's app made it in settings.keys_dir)."""
    key, _ = load_server_keys(settings.keys_dir, create=True)
    return key.public_jwks()


def _signed_group_request(base_url: str, admin_key: KeyPair, jwks: dict[str, Any]) -> httpx.Request:
    from app.client.codec import Codec

    codec = Codec(admin_key, jwks, "replayer")
    body, headers = codec.seal_body({"id": "replayed", "name": "Replayed"})
    request = httpx.Request("POST", base_url + "/v1/admin/groups", headers=headers, content=body)
    codec.sign(request, body, None)
    return request


def test_replays_are_refused_across_workers(
    settings: Settings, admin_key: KeyPair, served_keys: dict[str, Any]
) -> None:
    with kix_server(settings.database_url, settings.keys_dir, "--workers", "2") as base_url:
        request = _signed_group_request(base_url, admin_key, served_keys)

        def fire(_: int) -> int:
            # A new connection each time, so the kernel spreads them over both workers.
            with httpx.Client() as client:
                return client.send(request).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(fire, range(24)))
        assert sorted(statuses) == [201] + [401] * 23

        with KixClient(base_url, admin_key, served_keys) as admin:
            assert [group["id"] for group in admin.list_groups()["items"]] == ["replayed"]

            def whoami(_: int) -> str:
                return str(admin.whoami()["agency_id"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                assert set(pool.map(whoami, range(40))) == {"kix-operator"}

        with httpx.Client() as client:
            replay = client.send(request)
        assert replay.status_code == 401
        assert replay.json()["type"] == problem_type("nonce-replayed")


def test_a_revoked_key_is_refused_at_once_by_every_worker(
    settings: Settings, admin_key: KeyPair, served_keys: dict[str, Any]
) -> None:
    from app.client.codec import Codec

    key = KeyPair.generate()
    codec = Codec(key, served_keys, "revoked-system")
    with kix_server(settings.database_url, settings.keys_dir, "--workers", "2") as base_url:
        with KixClient(base_url, admin_key, served_keys) as admin:
            public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}
            admin.register_key("kix-operator", public, ["alerts:read"])

            def whoami(_: int) -> str:
                # A new connection each time, so the kernel spreads them over both workers.
                with httpx.Client() as client:
                    request = codec.build(client, "GET", base_url + "/v1/whoami", None, None, None, None)
                    try:
                        return str(codec.open_response(request, client.send(request))["agency_id"])
                    except KixProblem as problem:
                        return problem.type

            with ThreadPoolExecutor(max_workers=8) as pool:  # both workers now know the key
                assert set(pool.map(whoami, range(40))) == {"kix-operator"}
            admin.revoke_key(key.kid)
            with ThreadPoolExecutor(max_workers=8) as pool:
                assert set(pool.map(whoami, range(40))) == {problem_type("key-revoked")}


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


Issuer = tuple[str, ec.EllipticCurvePrivateKey]


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: Issuer | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pem(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path.with_suffix(".crt"), path.with_suffix(".key")


@pytest.mark.one_database
def test_mutual_tls(
    settings: Settings, admin_key: KeyPair, served_keys: dict[str, Any], tmp_path: Path
) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("KIX test CA", ca_key, None, ca=True)
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_crt, server_key_file = _write_pem(
        tmp_path / "server",
        _certificate("127.0.0.1", server_key, ("KIX test CA", ca_key), server=True),
        server_key,
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_crt, client_key_file = _write_pem(
        tmp_path / "client", _certificate("de-bka system", client_key, ("KIX test CA", ca_key)), client_key
    )
    trust = ssl.create_default_context(cafile=str(ca_file))
    mutual = ssl.create_default_context(cafile=str(ca_file))
    mutual.load_cert_chain(str(client_crt), str(client_key_file))
    tls_args = ["--tls-cert", str(server_crt), "--tls-key", str(server_key_file), "--client-ca", str(ca_file)]

    with (
        httpx.Client(verify=mutual) as ready,
        kix_server(
            settings.database_url, settings.keys_dir, *tls_args, scheme="https", ready_client=ready
        ) as base_url,
    ):
        with KixClient(base_url, admin_key, served_keys, http_client=httpx.Client(verify=mutual)) as admin:
            assert admin.whoami()["agency_id"] == "kix-operator"
        with httpx.Client(verify=trust) as no_certificate, pytest.raises(httpx.HTTPError):
            no_certificate.get(base_url + "/healthz")
        with httpx.Client(verify=mutual) as plain, pytest.raises(httpx.HTTPError):
            plain.get(base_url.replace("https", "http") + "/healthz")
        # Left open, its idle keep-alive TLS connection kept the server from exiting on SIGTERM within the
        # 15 s kix_server allows, and the test then spent them waiting for the kill.
        ready.close()


def test_metrics_listener_aggregates_workers(
    settings: Settings, admin_key: KeyPair, served_keys: dict[str, Any], tmp_path: Path
) -> None:
    from tests.live import free_port

    metrics_port = free_port()
    args = ["--workers", "2", "--metrics-port", str(metrics_port)]
    temp_dir = tmp_path / "temp"  # where the server makes the directory its workers write metrics to
    temp_dir.mkdir()
    with kix_server(
        settings.database_url, settings.keys_dir, *args, extra_env={"TMPDIR": str(temp_dir)}
    ) as base_url:
        assert [path.name[:12] for path in temp_dir.iterdir()] == ["kix-metrics-"]
        with KixClient(base_url, admin_key, served_keys) as admin:
            for _ in range(10):
                admin.whoami()
        with httpx.Client() as client:
            assert client.get(base_url + "/v1/whoami").status_code == 401
            text = client.get(f"http://127.0.0.1:{metrics_port}/metrics").text
            assert client.get(base_url + "/metrics").status_code == 401  # not on the API listener
    assert list(temp_dir.iterdir()) == []  # removed when the server stopped
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"
    }
    assert samples['kix_requests_total{method="GET",status="200"}'] == 10
    assert samples['kix_refusals_total{reason="signature-missing"}'] == 1
    assert samples["kix_request_duration_seconds_count"] == 11
    # State every worker shares, read from the database at the scrape.
    assert samples["kix_audit_entries"] + samples["kix_audit_entries_pending"] == 10  # signed requests only
    assert samples["kix_outbox_changes_pending"] >= 0
    assert "kix_audit_head_age_seconds" in samples


@pytest.mark.one_database
def test_shutdown_finishes_requests_in_flight(
    settings: Settings, admin_key: KeyPair, served_keys: dict[str, Any]
) -> None:
    """SIGTERM (as an orchestrator stops a node) while a long poll is held open: the answer still
    comes, complete and signed, and the server then exits cleanly."""
    processes: list[Any] = []
    answers: dict[str, Any] = {}
    with kix_server(settings.database_url, settings.keys_dir, started=processes.append) as base_url:
        with KixClient(base_url, admin_key, served_keys) as admin:

            def long_poll() -> None:
                answers["page"] = admin.feed.page(wait=3)

            waiting = threading.Thread(target=long_poll)
            waiting.start()
            time.sleep(1.0)
            os.killpg(processes[0].pid, signal.SIGTERM)
            waiting.join(timeout=15)
            assert answers["page"]["items"] == []  # verified and decrypted by the SDK
            # uvicorn re-raises the signal once it has shut down, so its status is the signal's.
            assert processes[0].wait(timeout=15) in (0, -signal.SIGTERM)
