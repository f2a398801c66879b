"""Joint analysis benchmark: trends queries over the rollup of a million alerts, and the link graph of a
500-record case.

Run from the repository root:

    python -m bench analysis                  # SQLite: 1 000 000 alerts (about 3 minutes)
    python -m bench analysis --postgres       # the same on PostgreSQL
    options: [--alerts 1000000] [--queries 200] [--records 500] [--links 1000] [--graphs 30]
             [--skip-trends] [--skip-graph] [--postgres-url URL] [--database kix_bench_analysis] [--keep-temp]

Part 1, trends (goal: p95 under 50 ms at 1M alerts), in process: --alerts synthetic alerts over ten years
(24 countries, 6 regions each, every category, outcomes, ransoms demanded and paid), each turned into its
facts by the service's own fact code (app.services.analysis.facts), summed, and added to the rollup by the
same function the event stream's fan-out uses. The records themselves are not written: a trends answer reads
the rollup only (the API tests prove the rollup is what answers). Then each of several questions is asked
--queries times through app.services.analysis.trends.trends, suppression included; p50 and p95 per
question. Over HTTP add the signed, encrypted round trip (see `python -m bench roundtrip`).

Part 2, the link graph (goal: under 200 ms for a 500-record case), in process: --records records (alerts,
suspects sharing some phones and passports, leads sharing some accounts) created through the service, all
linked into one case and shared with a participant, --links typed links between them; then the
participant's graph (nodes labelled from its view, suspects' names decrypted, edges, identifiers shared by
blind index) built --graphs times; p50 and p95.
"""

import argparse
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import Database
from app.demo import add_directory
from app.models import Record, TrendCount
from app.schemas.common import Scope
from app.schemas.records import Confidence, LinkType
from app.schemas.stats import Dimension, Measure
from app.services.analysis import case_records, cases
from app.services.analysis.facts import Context, Fact, add_to_rollup, facts_of
from app.services.analysis.graph import case_graph
from app.services.analysis.trends import TrendQuery, add_months, trends
from app.services.records.creation import create_record
from app.services.records.disclosure import AgencyViewer
from app.services.records.kinds import ALERTS, LEADS, SUSPECTS
from app.services.records.store import Actor
from bench.data.bodies import COUNTRIES, BodyMaker, validated
from bench.harness.databases import Workspace, run
from bench.harness.options import add_database_options, add_keep_temp, parser_for, positive_int
from bench.harness.servers import kix_env, migrate, server_vault
from bench.harness.wire import percentile

GOAL_TRENDS_MS, GOAL_GRAPH_MS = 50.0, 200.0
CHUNK = 50_000
REGIONS = ["North", "South", "East", "West", "Centre", "Capital"]
CATEGORIES = [
    "ransom_extortion",
    "express",
    "virtual",
    "tiger",
    "political_terrorist",
    "trafficking_linked",
    "other",
]
OUTCOMES = ["released", "rescued", "escaped", "deceased", "active", "unresolved"]
OWNER, PARTICIPANT = "fr-ocrb", "es-ucic"


# ---------------------------------------------------------------- part 1: trends at scale
def _alert(rng: random.Random, number: int, now: datetime) -> tuple[Record, Context]:
    # Within 3,600 days: the ten-year questions cover this month and the 119 before it, at least 3,619
    # days (3,650 days back fell outside them on a month's first days).
    occurred = now - timedelta(days=rng.randint(0, 3600))
    record = Record(
        id=f"bench-{number}",
        kind="alert",
        status=rng.choices(OUTCOMES, [40, 25, 3, 4, 10, 18])[0],
        category=rng.choice(CATEGORIES),
        country=rng.choice(COUNTRIES),
        occurred_at=occurred,
        rules={},
        body={
            "place": {"region": rng.choice(REGIONS)},
            "ransom": {
                "amount": str(rng.randint(1, 3000) * 1000),
                "currency": rng.choice(["EUR", "USD", "MXN"]),
            }
            if rng.random() < 0.6
            else None,
        },
    )
    paid = [{"amount": str(rng.randint(1, 800) * 1000), "currency": "EUR"}] if rng.random() < 0.2 else []
    return record, Context({record.id: [("active", occurred), (record.status, occurred)]}, {record.id: paid})


def _load_rollup(db: Database, count: int) -> tuple[float, int]:
    """The facts of `count` alerts, added to the rollup in chunks as a long run of fan-outs would have."""
    rng = random.Random(2026)  # noqa: S311 - synthetic data
    now = datetime.now(UTC)
    started = time.perf_counter()
    facts: Counter[Fact] = Counter()
    for number in range(count):
        record, context = _alert(rng, number, now)
        facts.update(facts_of(record, context))
    distinct = sorted(facts)
    for start in range(0, len(distinct), CHUNK):
        with db.transaction() as session:
            add_to_rollup(session, Counter({fact: facts[fact] for fact in distinct[start : start + CHUNK]}))
    return time.perf_counter() - started, facts_total(facts)


def facts_total(facts: Counter[Fact]) -> int:
    return sum(n for fact, n in facts.items() if fact.measure == Measure.ALERTS.value)


def _questions(until: str) -> list[tuple[str, TrendQuery]]:
    ten_years, five_years = add_months(until, -119), add_months(until, -59)
    return [
        ("alerts by country, 5 years", TrendQuery([Measure.ALERTS], [Dimension.COUNTRY], five_years, until)),
        (
            "alerts by country and quarter, 10 years",
            TrendQuery([Measure.ALERTS], [Dimension.COUNTRY, Dimension.QUARTER], ten_years, until),
        ),
        (
            "outcomes by category and year, 10 years",
            TrendQuery(
                [Measure.RELEASED, Measure.RESCUED, Measure.DECEASED],
                [Dimension.CATEGORY, Dimension.YEAR],
                ten_years,
                until,
            ),
        ),
        ("rescued by region, 10 years", TrendQuery([Measure.RESCUED], [Dimension.REGION], ten_years, until)),
        (
            "ransoms paid by band and year, 10 years",
            TrendQuery([Measure.RANSOM_PAID], [Dimension.BAND, Dimension.YEAR], ten_years, until),
        ),
    ]


def trends_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"== part 1: trends over the rollup of {args.alerts} alerts, in process ({workspace.backend})")
    url = workspace.database_url(f"{args.database}_trends")
    migrate(kix_env(workspace.dir, url))
    db = workspace.open(url)
    loaded, alerts = _load_rollup(db, args.alerts)
    with db.sessions() as session:
        rows = session.execute(_count_rows()).scalar()
    print(f"  {alerts} alerts' facts added to the rollup in {loaded:.1f} s: {rows} rollup rows")
    until = datetime.now(UTC).strftime("%Y-%m")
    summary: dict[str, Any] = {"rollup_rows": rows}
    worst = 0.0
    for name, query in _questions(until):
        times = []
        with db.sessions() as session:
            for _ in range(args.queries):
                started = time.perf_counter()
                answer = trends(session, query)
                times.append((time.perf_counter() - started) * 1000)
        if name.startswith("alerts by country and quarter"):
            counted = answer["tables"][0]["total"]["count"]
            if counted != alerts:  # the ten years back from this month cover every synthetic alert (_alert)
                raise RuntimeError(f"the rollup counts {counted} alerts, {alerts} were loaded")
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        cells = sum(len(table["cells"]) for table in answer["tables"])
        print(f"  {name:<42} p50 {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms  ({cells} cells)")
        summary[name] = {"p50": round(statistics.median(times), 2), "p95": round(p95, 2), "cells": cells}
    verdict = "met" if worst < GOAL_TRENDS_MS else "MISSED"
    print(f"  worst p95 {worst:.2f} ms; goal p95 < {GOAL_TRENDS_MS:.0f} ms: {verdict}")
    return summary


def _count_rows() -> Any:
    return select(func.count()).select_from(TrendCount)


# ---------------------------------------------------------------- part 2: the graph of a case
def _records(db: Database, args: argparse.Namespace, vault: Any) -> tuple[str, list[str]]:
    maker = BodyMaker(random.Random(500))  # noqa: S311 - synthetic data
    rng = maker.rng
    now = datetime.now(UTC)
    owner = Actor(OWNER, "bench")
    phones = [f"+3361234{n:04d}" for n in range(40)]
    with db.transaction() as session:
        add_directory(session)
        case = cases.open_case(session, vault, owner, "Bench case", "", [PARTICIPANT], now=now)
        cases.answer(session, Actor(PARTICIPANT, "bench"), case.id, accept=True, now=now)
        ids = []
        for number in range(args.records):
            spec = (ALERTS, SUSPECTS, LEADS)[number % 3]
            raw = {0: lambda: maker.alert(now, rng.choice(COUNTRIES)), 1: maker.suspect, 2: maker.lead}[
                number % 3
            ]()
            if spec is SUSPECTS:
                raw["phones"] = [rng.choice(phones)]
            raw["rules"] = maker.rules(OWNER, {"mode": "owner_only"})
            raw.pop("status", None)
            record = create_record(session, spec, owner, validated(spec.create, raw), vault, now=now)
            ids.append(record.id)
            case_records.add_record(session, owner, case.id, record.id, share=True, now=now)
        types = list(LinkType)
        made: set[tuple[str, str]] = set()
        while len(made) < args.links:
            source, target = rng.sample(ids, 2)
            if (source, target) in made or (target, source) in made:
                continue
            made.add((source, target))
            link_type, confidence = rng.choice(types), rng.choice(list(Confidence))
            case_records.link_records(session, owner, case.id, source, target, link_type, confidence, now=now)
        return case.id, ids


def graph_part(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    print(f"\n== part 2: the link graph of a {args.records}-record case, in process ({workspace.backend})")
    url = workspace.database_url(f"{args.database}_graph")
    env = kix_env(workspace.dir, url)
    migrate(env)
    db = workspace.open(url)
    vault = server_vault(env)
    started = time.perf_counter()
    case_id, _ids = _records(db, args, vault)
    made_in = time.perf_counter() - started
    print(f"  {args.records} records, {args.links} links made through the services in {made_in:.1f} s")
    reader = AgencyViewer(PARTICIPANT, frozenset(scope.value for scope in Scope))
    times = []
    for _ in range(args.graphs):
        with db.sessions() as session:
            started = time.perf_counter()
            graph = case_graph(session, vault, reader, case_id)
            times.append((time.perf_counter() - started) * 1000)
    if len(graph["nodes"]) != args.records:
        raise RuntimeError(f"the participant sees {len(graph['nodes'])} of {args.records} records")
    p95 = percentile(times, 0.95)
    verdict = "met" if p95 < GOAL_GRAPH_MS else "MISSED"
    print(
        f"  graph: {len(graph['nodes'])} nodes, {len(graph['edges'])} edges, "
        f"{len(graph['shared_identifiers'])} shared identifiers; p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms; goal p95 < {GOAL_GRAPH_MS:.0f} ms: {verdict}"
    )
    return {"nodes": len(graph["nodes"]), "p50": round(statistics.median(times), 1), "p95": round(p95, 1)}


def benchmark(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    summary: dict[str, Any] = {"backend": workspace.backend}
    if not args.skip_trends:
        summary["trends"] = trends_part(args, workspace)
    if not args.skip_graph:
        summary["graph"] = graph_part(args, workspace)
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "analysis")
    parser.add_argument("--alerts", type=positive_int, default=1_000_000, help="alerts in the rollup")
    parser.add_argument("--queries", type=positive_int, default=200, help="times each question is asked")
    parser.add_argument("--records", type=positive_int, default=500, help="records in the case")
    parser.add_argument("--links", type=positive_int, default=1000, help="typed links between them")
    parser.add_argument("--graphs", type=positive_int, default=30, help="times the graph is built")
    parser.add_argument("--skip-trends", action="store_true", help="skip part 1")
    parser.add_argument("--skip-graph", action="store_true", help="skip part 2")
    add_database_options(parser, "kix_bench_analysis")
    add_keep_temp(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url if args.postgres else None
    return run(
        "analysis",
        lambda workspace: benchmark(args, workspace),
        postgres_url=postgres_url,
        keep_temp=args.keep_temp,
    )
