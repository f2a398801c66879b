"""`kix keys`: key files on the agency side, the server's keys, and the storage keys' rotation."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import print_json
from app.cli.serve import server_settings
from app.config import Settings
from app.crypto.keys import KeyPair, write_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from app.crypto.storage_keys import load_storage_keys, storage_key_source
from app.db import Database

keys_cli = typer.Typer(
    help="Key files on the agency side, the server's keys, and storage keys.", no_args_is_help=True
)


@keys_cli.command("generate")
def keys_generate(
    out: Annotated[Path, typer.Option(help="Private key file to write (mode 0600)")],
    kid: Annotated[str | None, typer.Option(help="Key id (default: from the key's thumbprint)")] = None,
) -> None:
    """Make a key pair on the agency side; print the public JWKs to send to the administrator."""
    try:
        key = KeyPair.generate(kid)
        write_key_file(out, key)
    except FileExistsError as exc:
        typer.echo(f"refused: {out} exists", err=True)
        raise typer.Exit(1) from exc
    print_json({"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk})
    typer.echo(
        f"private key written to {out} (mode 0600); send the JSON above to your KIX administrator", err=True
    )


@keys_cli.command("server-jwks")
def keys_server_jwks() -> None:
    """Print this server's public keys (from KIX_KEYS_DIR), for clients to pin."""
    settings = Settings()
    key, _ = load_server_keys(settings.keys_dir, create=False)
    typer.echo(jwks_json(key), nl=False)


@keys_cli.command("init-server")
def keys_init_server() -> None:
    """Create the server key pair and the storage keys in KIX_KEYS_DIR (keeps those that exist)."""
    settings = server_settings()
    key, created = load_server_keys(settings.keys_dir, create=True)
    typer.echo(
        ("created " if created else "exists: ") + f"server key (kid {key.kid}) in {settings.keys_dir}",
        err=True,
    )
    _, storage_created = load_storage_keys(settings.keys_dir, create=True)
    typer.echo(
        ("created " if storage_created else "exists: ") + f"storage keys in {settings.keys_dir}", err=True
    )


@keys_cli.command("rotate-master")
def keys_rotate_master() -> None:
    """Add a new master key version, then re-wrap every data key under it while KIX keeps serving.

    Running nodes pick up the new version from the key store within seconds. Keep the old version until
    `kix keys drop-master` confirms no data key uses it any more.
    """
    from app.services.vault.custody import rewrap_all

    settings = server_settings()
    source = storage_key_source(settings.keys_dir)
    rotated = source.load().rotated()
    source.save(rotated)
    typer.echo(f"master key version {rotated.master.current} is now current; re-wrapping data keys", err=True)
    db = Database(settings.database_url)
    try:
        total = rewrap_all(db, rotated)
    finally:
        db.dispose()
    typer.echo(f"re-wrapped {total} data keys under version {rotated.master.current}", err=True)


@keys_cli.command("drop-master")
def keys_drop_master(
    version: Annotated[int, typer.Option(help="The old master key version to destroy")],
) -> None:
    """Destroy an old master key version, refusing while any data key is still wrapped under it."""
    from app.services.vault.custody import rewrap_all, rows_under

    settings = server_settings()
    source = storage_key_source(settings.keys_dir)
    keys = source.load()
    db = Database(settings.database_url)
    try:
        rewrap_all(db, keys)  # catch rows written by nodes that had not seen the rotation yet
        if rows_under(db, version):
            typer.echo(f"refused: data keys are still wrapped under version {version}", err=True)
            raise typer.Exit(1)
    finally:
        db.dispose()
    source.save(keys.without(version))
    typer.echo(f"master key version {version} destroyed", err=True)
