"""Command-line options the scenarios share."""

import argparse

from bench.harness.databases import DEFAULT_POSTGRES_URL


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser_for(doc: str | None, prog: str) -> argparse.ArgumentParser:
    """A parser whose help is the scenario's docstring, named as `python -m bench <scenario>`."""
    return argparse.ArgumentParser(
        prog=f"python -m bench {prog}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_database_options(parser: argparse.ArgumentParser, database: str) -> None:
    parser.add_argument("--postgres", action="store_true", help="use scratch PostgreSQL databases")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server to create them on")
    parser.add_argument(
        "--database", default=database, help=f"scratch database name (prefix), default {database}"
    )


def add_keep_temp(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir and databases")
