"""Part 1 of the matching benchmark, its data: --scale suspects and --scale leads bulk-loaded, what was
loaded (the catalogue: which records hold each document, IBAN, wallet and planted person, and whether the
querier may get them back), how selective the blind index is, and the seven query shapes.

The directory is app.demo's (app.demo.add_directory: 22 agencies, 4 groups); de-bka, which queries, joins
the EU task force group. Records are built by the service's build_record (bench/loaders.py) from bodies
validated by SuspectCreate/LeadCreate (bench/data/bodies.py): sealed, with their columns, rules, grants,
first revision and blind-index rows. Owners are app.demo's 22 agencies; distribution is mostly
owner_only (90% of those discoverable, so de-bka gets hits), some all_members, groups and agencies;
created over two years. One suspect in a thousand is a planted person (bench/data/names.py), written in
Latin, sometimes with a native-script alias, and queried in the native script.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from schwifty import IBAN
from sqlalchemy import text

from app.db import Database
from app.demo import add_directory
from app.schemas.records import SharingRules
from app.services.identity.agencies import add_group_member
from app.services.matching import indexing, normalize
from app.services.records.kinds import LEADS, SUSPECTS
from app.services.vault import Vault
from bench.data.bodies import AGENCY_IDS, BodyMaker, validated
from bench.data.names import COMMON_GIVEN, CULTURES, PLANTED, PLANTED_EVERY, RARE_GIVEN, RARE_SURNAMES
from bench.harness.wire import percentile
from bench.loaders import BulkLoader, analyse, table_sizes

QUERIER = "de-bka"  # the agency that queries (set_up_kix's first demo agency)
QUERIER_GROUP = "eu-ransom-taskforce"  # de-bka joins it, so group grants reach it
READER = "it-dcsa"  # the other demo agency: a recipient by name, and part 2's reader
OWNERS = AGENCY_IDS
RECIPIENTS = OWNERS + [QUERIER, READER]
# Distribution of the loaded records, with weights; owner_only records are mostly discoverable.
MODES = {"owner_only": 70, "all_members": 15, "groups": 8, "agencies": 7}
HISTORY_DAYS = 730
CHUNK = 5000  # records per COPY (or INSERT) batch


@dataclass
class Catalogue:
    """What was loaded, for queries and their expected answers: by (what, normalised value), the records
    holding it and whether de-bka may get them back (visible, or discoverable)."""

    values: dict[tuple[str, str], list[tuple[str, bool]]] = field(default_factory=dict)
    shown: dict[tuple[str, str], Any] = field(default_factory=dict)  # the value as a caller writes it
    skeletons: Counter[str] = field(default_factory=Counter)  # name-token skeleton -> suspects
    planted_dob: dict[int, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, key: str, shown: Any, record_id: str, returnable: bool) -> None:
        self.values.setdefault((what, key), []).append((record_id, returnable))
        self.shown.setdefault((what, key), shown)

    def expected(self, what: str, key: str) -> frozenset[str]:
        return frozenset(record_id for record_id, ok in self.values.get((what, key), []) if ok)

    def returnable_keys(self, what: str) -> list[str]:
        return sorted(k for (w, k), rows in self.values.items() if w == what and any(ok for _, ok in rows))

    def record(
        self, kind: str, record_id: str, body: dict[str, Any], returnable: bool, terms: set[Any]
    ) -> None:
        self.counts[kind] += 1
        self.counts[f"{kind} returnable"] += returnable
        if kind == SUSPECTS.kind.value:
            self.skeletons.update(value for term, value in terms if term == indexing.NAME_TOKEN)
            for document in body.get("documents") or []:
                key = normalize.document_number(document["number"])
                self.add("document", key, document["number"], record_id, returnable)
            return
        identifiers = body.get("identifiers") or {}
        if identifiers.get("iban"):
            self.add("iban", identifiers["iban"], identifiers["iban"], record_id, returnable)
        if identifiers.get("wallet"):
            wallet = identifiers["wallet"]
            self.add(
                "wallet", normalize.wallet(wallet["address"], wallet["chain"]), wallet, record_id, returnable
            )


def prepare_directory(db: Database) -> None:
    """app.demo's agencies and groups; de-bka joins the EU task force."""
    with db.transaction() as session:
        add_directory(session)
        add_group_member(session, QUERIER_GROUP, QUERIER)


def visible_to_querier(rules: SharingRules) -> bool:
    distribution = rules.distribution
    return (
        distribution.mode.value == "all_members"
        or QUERIER_GROUP in distribution.groups
        or QUERIER in distribution.agencies
    )


def load_people(db: Database, vault: Vault, scale: int, leads: int, rng: random.Random) -> Catalogue:
    """`scale` suspects and `leads` leads, CHUNK records at a time, in one transaction; analysed."""
    catalogue = Catalogue()
    maker = BodyMaker(rng)
    now = datetime.now(UTC)
    for which in range(len(PLANTED)):
        born = date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28))
        catalogue.planted_dob[which] = born.isoformat()
    with BulkLoader(db, vault, chunk=CHUNK) as loader:
        for spec in (SUSPECTS, LEADS):
            for number in range(scale if spec is SUSPECTS else leads):
                owner = rng.choice(OWNERS)
                which = number % PLANTED_EVERY
                planted = PLANTED[which] if spec is SUSPECTS and which < len(PLANTED) else None
                raw = (
                    maker.lead()
                    if spec is LEADS
                    else maker.suspect(planted, catalogue.planted_dob.get(which))
                )
                distribution = maker.distribution(owner, MODES, RECIPIENTS)
                discoverable = 0.9 if distribution["mode"] == "owner_only" else 0.8
                raw["rules"] = maker.rules(owner, distribution, discoverable)
                data = validated(spec.create, raw)
                created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
                new = loader.add(spec, owner, data, created=created)
                rules: SharingRules = data.rules  # type: ignore[attr-defined]
                returnable = visible_to_querier(rules) or rules.discoverable
                record_id = new.record.id
                catalogue.record(spec.kind.value, record_id, new.body, returnable, spec.index_terms(new.body))
                if planted is not None:
                    catalogue.add("planted", str(which), planted.native, record_id, returnable)
    print(f"  {loader.stats.describe()}")
    seconds = analyse(db)
    print(f"  analysed in {seconds:.1f} s; {table_sizes(db, ['records', 'record_grants', 'blind_indexes'])}")
    print(
        f"  returnable to {QUERIER} (visible or discoverable): {catalogue.counts['suspect returnable']} of "
        f"{catalogue.counts['suspect']} suspects, {catalogue.counts['lead returnable']} of "
        f"{catalogue.counts['lead']} leads"
    )
    return catalogue


def index_statistics(db: Database, catalogue: Catalogue) -> dict[str, Any]:
    """Rows per blind-index value, by term: how selective each term is."""
    print("  blind-index selectivity (rows per distinct digest):")
    print(f"    {'term':<11} {'rows':>9} {'values':>8} {'median':>7} {'p99':>6} {'max':>6}")
    per_value: dict[str, list[float]] = defaultdict(list)
    with db.engine.connect() as connection:
        query = text("SELECT term, count(*) FROM blind_indexes GROUP BY term, digest")
        for term, rows in connection.execute(query):
            per_value[term].append(rows)
    stats: dict[str, Any] = {}
    for term, counts in sorted(per_value.items()):
        row = {
            "rows": int(sum(counts)),
            "values": len(counts),
            "median": int(percentile(counts, 0.5)),
            "p99": int(percentile(counts, 0.99)),
            "max": int(max(counts)),
        }
        stats[term] = row
        print(
            f"    {term:<11} {row['rows']:>9} {row['values']:>8} {row['median']:>7}"
            f" {row['p99']:>6} {row['max']:>6}"
        )
    top = catalogue.skeletons.most_common(12)
    print(
        "  most common name-token skeletons (suspects holding one): " + ", ".join(f"{s} {n}" for s, n in top)
    )
    short = sum(n for s, n in catalogue.skeletons.items() if len(s) == 2)
    print(
        f"  {len(catalogue.skeletons)} distinct skeletons; two-letter skeletons hold {short} "
        f"token entries of {sum(catalogue.skeletons.values())}"
    )
    return stats


# ---------------------------------------------------------------- queries
@dataclass(frozen=True)
class Query:
    payload: dict[str, Any]
    expected: frozenset[str]  # records de-bka should get back (visible or discoverable), where known
    exact: frozenset[str] = frozenset()  # of those, the ones an exact identifier (document, IBAN) names


@dataclass(frozen=True)
class Shape:
    name: str
    make: Callable[[random.Random, int], Query]


class Queries:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.documents = catalogue.returnable_keys("document")
        self.ibans = catalogue.returnable_keys("iban")
        self.wallets = catalogue.returnable_keys("wallet")
        self.common_pool = [
            f"{first[0]} {last[0]}"
            for culture in CULTURES
            if culture.script == "Latn"
            for first in culture.firsts[:4]
            for last in culture.lasts[:4]
        ]

    def shapes(self) -> list[Shape]:
        return [
            Shape("name: planted, other script", self.planted),
            Shape("name: no hit, rare", self.rare),
            Shape("name: no hit, common given", self.common_given),
            Shape("document", self.document),
            Shape("IBAN", self.iban),
            Shape("wallet", self.wallet),
            Shape("mixed: 2 names+dob+doc+IBAN", self.mixed),
        ]

    def planted(self, _rng: random.Random, index: int) -> Query:
        which = index % len(PLANTED)
        return Query({"names": [PLANTED[which].native]}, self.catalogue.expected("planted", str(which)))

    def rare(self, rng: random.Random, _index: int) -> Query:
        return Query({"names": [f"{rng.choice(RARE_GIVEN)} {rng.choice(RARE_SURNAMES)}"]}, frozenset())

    def common_given(self, rng: random.Random, _index: int) -> Query:
        return Query({"names": [f"{rng.choice(COMMON_GIVEN)} {rng.choice(RARE_SURNAMES)}"]}, frozenset())

    def document(self, rng: random.Random, _index: int) -> Query:
        key = rng.choice(self.documents)
        number = str(self.catalogue.shown[("document", key)])
        written = number.lower() if rng.random() < 0.3 else number  # as a caller might type it
        return Query({"documents": [written]}, self.catalogue.expected("document", key))

    def iban(self, rng: random.Random, _index: int) -> Query:
        key = rng.choice(self.ibans)
        return Query({"accounts": [IBAN(key).formatted]}, self.catalogue.expected("iban", key))

    def wallet(self, rng: random.Random, _index: int) -> Query:
        key = rng.choice(self.wallets)
        return Query(
            {"wallets": [self.catalogue.shown[("wallet", key)]]}, self.catalogue.expected("wallet", key)
        )

    def mixed(self, rng: random.Random, index: int) -> Query:
        which = index % len(PLANTED)
        document, iban = rng.choice(self.documents), rng.choice(self.ibans)
        payload = {
            "names": [PLANTED[which].native, rng.choice(self.common_pool)],
            "dates_of_birth": [self.catalogue.planted_dob[which]],
            "documents": [str(self.catalogue.shown[("document", document)])],
            "accounts": [iban],
        }
        exact = self.catalogue.expected("document", document) | self.catalogue.expected("iban", iban)
        return Query(payload, self.catalogue.expected("planted", str(which)) | exact, exact)
