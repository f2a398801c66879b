"""Hit/no-hit matching through the SDK: references for what the caller may see, bare hits for what it
may not (when discoverable), nothing otherwise; owners see hits; budgets; access requests on hits."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from app.client import KixClient, KixProblem
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import AccessRequest, BlindIndex, Hit, MatchQuery
from app.models.base import utcnow
from app.services.matching import candidates as matching_candidates
from app.services.matching.reindex import reindex_all
from app.services.matching.search import MAX_RESULTS
from app.services.vault import Vault
from tests.asgi import in_process_client
from tests.conftest import BASE_URL, Member
from tests.records_data import lead, rules, suspect
from tests.services.test_visibility_shape import grant_checks, statements


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def pair(enrol: Any) -> tuple[Member, Member]:
    return enrol("jo-psd"), enrol("de-bka")


def _hidden_suspect(owner: Member, *, discoverable: bool = True) -> dict[str, Any]:
    body = suspect(
        names=[
            {"full_name": "Mohammed Al-Rashid"},
            {"full_name": "Мухаммад Аль-Рашид", "script": "Cyrl", "alias": True},
        ],
        documents=[{"kind": "passport", "number": "N 123-4567", "issuing_country": "JO"}],
        phones=["+962 7 9123 4567"],
        rules=rules(mode="owner_only", discoverable=discoverable),
    )
    created: dict[str, Any] = owner.client.create_record("suspects", body)
    return created


@pytest.mark.parametrize(
    "criteria",
    [
        {"names": ["Muhammad Alrashid"]},
        {"names": ["محمد الرشيد"]},
        {"names": ["Sheikh Mohamed al Rashid"]},
        {"documents": ["n1234567"]},
        {"phones": ["+962791234567"]},
    ],
)
def test_a_hidden_discoverable_record_comes_back_as_a_bare_hit(
    pair: tuple[Member, Member], criteria: dict[str, Any]
) -> None:
    owner, querier = pair
    _hidden_suspect(owner)
    answer = querier.client.match(criteria)
    assert answer["references"] == []
    assert len(answer["hits"]) == 1
    hit = answer["hits"][0]
    assert set(hit) == {"hit_id", "owner", "kind", "strength", "reasons"}  # no content, no record id
    # Reasons speak of the caller's own criteria (which matched, how), never of the record's values.
    assert all(
        reason.split(":")[0] in ("name", "date_of_birth", "document", "phone") for reason in hit["reasons"]
    )
    assert (hit["owner"], hit["kind"]) == ("jo-psd", "suspect")
    told = owner.client.hits()["items"]
    assert [(h["querier"], h["querier_can_see"]) for h in told] == [("de-bka", False)]


def test_no_hit_for_unrelated_names_or_hidden_undiscoverable_records(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    _hidden_suspect(owner, discoverable=False)
    assert querier.client.match({"names": ["Mohammed Al-Rashid"]})["hits"] == []
    other = suspect(names=[{"full_name": "Giulia Ferraro"}], documents=[], rules=rules(mode="owner_only"))
    owner.client.create_record("suspects", other)
    answer = querier.client.match({"names": ["Mohammed Al-Rashid", "Marco Rossi"], "documents": ["N1234567"]})
    assert (answer["references"], answer["hits"]) == ([], [])
    assert owner.client.hits()["items"] == []


def test_visible_records_come_back_as_references(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    shared = owner.client.create_record("suspects", suspect())  # all members
    leads = owner.client.create_record("leads", lead(identifiers={"iban": "DE89370400440532013000"}))
    answer = querier.client.match(
        {"names": ["Мухаммад Аль-Рашид"], "accounts": ["de89 3704 0044 0532 0130 00"]}
    )
    by_id = {ref["record_id"]: ref for ref in answer["references"]}
    assert by_id[shared["id"]]["matched_on"] == ["name"]
    assert by_id[shared["id"]]["score"] >= 0.9
    assert (by_id[leads["id"]]["matched_on"], by_id[leads["id"]]["strength"]) == (["account"], "exact")
    assert answer["hits"] == []


def test_wallets_match_whatever_the_case(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    address = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    wallet = {"wallet": {"address": address, "chain": "bitcoin"}}
    owner.client.create_record(
        "leads", lead(asset_kind="crypto_wallet", identifiers=wallet, rules=rules(mode="owner_only"))
    )
    answer = querier.client.match({"wallets": [{"address": address.upper(), "chain": "bitcoin"}]})
    assert [hit["strength"] for hit in answer["hits"]] == ["exact"]


def test_bad_queries(pair: tuple[Member, Member], enrol: Any) -> None:
    _, querier = pair
    assert _problem(querier.client.match, {}) == (422, "validation-failed")
    assert _problem(querier.client.match, {"names": ["x"] * 21}) == (422, "validation-failed")
    assert _problem(querier.client.match, {"names": ["n" * 201]}) == (422, "validation-failed")
    assert _problem(querier.client.match, {"accounts": ["DE00 0000"]}) == (422, "validation-failed")
    no_scope = enrol("fr-ocrb", key_scopes=["alerts:read"])
    assert _problem(no_scope.client.match, {"names": ["Mohammed Al-Rashid"]}) == (403, "forbidden")


def test_query_budget(
    settings: Settings, db: Database, pair: tuple[Member, Member], server_jwks: dict[str, Any]
) -> None:
    _, querier = pair
    tight = create_app(settings.model_copy(update={"match_budget_per_hour": 3}), database=db)
    with in_process_client(tight, BASE_URL) as http:
        client = KixClient(BASE_URL, querier.key, server_jwks, http_client=http)
        assert [client.match({"names": [f"Name {i}"]})["remaining_budget"] for i in range(3)] == [2, 1, 0]
        with pytest.raises(KixProblem) as refused:
            client.match({"names": ["One more"]})
    assert refused.value.status == 429
    assert refused.value.type == "urn:kix:problem:rate-limited"


def test_access_request_on_a_hit(pair: tuple[Member, Member], db: Database) -> None:
    owner, querier = pair
    record = _hidden_suspect(owner)
    hit = querier.client.match({"documents": ["N1234567"]})["hits"][0]
    asked = querier.client.request_access(hit["hit_id"], "Same passport used in a Frankfurt kidnapping")
    assert (asked["status"], asked["record_id"], asked["overdue"]) == ("pending", None, False)
    hours = (asked["due_at"], asked["created_at"])
    assert hours[0] > hours[1]
    assert _problem(querier.client.get_record, "suspects", record["id"]) == (404, "not-found")
    incoming = owner.client.access_requests()["items"]
    assert [(r["requester"], r["record_id"], r["reason"]) for r in incoming] == [
        ("de-bka", record["id"], "Same passport used in a Frankfurt kidnapping")
    ]
    with db.transaction() as session:  # the deadline passes
        session.execute(update(AccessRequest).values(due_at=utcnow() - timedelta(minutes=1)))
    assert owner.client.access_requests()["items"][0]["overdue"] is True
    assert querier.client.access_requests()["items"][0]["overdue"] is True
    assert _problem(querier.client.decide_access, asked["id"], True, "self-service") == (403, "forbidden")
    granted = owner.client.decide_access(asked["id"], True, "Agreed, call our desk")
    assert (granted["status"], granted["overdue"]) == ("granted", False)
    assert (
        querier.client.get_record("suspects", record["id"])["names"][0]["full_name"] == "Mohammed Al-Rashid"
    )
    assert querier.client.access_requests()["items"][0]["record_id"] == record["id"]


def test_purge_removes_the_blind_indexes(pair: tuple[Member, Member], db: Database) -> None:
    owner, querier = pair
    record = _hidden_suspect(owner)
    owner.client.purge_record("suspects", record["id"])
    with db.sessions() as session:
        assert session.scalars(select(BlindIndex).where(BlindIndex.record_id == record["id"])).all() == []
    assert querier.client.match({"documents": ["N1234567"]})["hits"] == []


def test_lists_survive_a_purge(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    record = _hidden_suspect(owner)
    hit = querier.client.match({"documents": ["N1234567"]})["hits"][0]
    querier.client.request_access(hit["hit_id"], "same passport")
    owner.client.purge_record("suspects", record["id"])
    for client in (owner.client, querier.client):
        reasons = [item["reason"] for item in client.access_requests()["items"]]
        assert reasons == ["[purged: the record's data key is destroyed]"]


def test_an_access_request_on_a_purged_record_is_not_found(pair: tuple[Member, Member]) -> None:
    """Only a record's own address says 410: a request about a purged record can not be moved, and says
    404 (openapi.json documents no 410 here, as tests/test_openapi_statuses.py checks)."""
    owner, querier = pair
    record = _hidden_suspect(owner)
    hit = querier.client.match({"documents": ["N1234567"]})["hits"][0]
    asked = querier.client.request_access(hit["hit_id"], "same passport")
    owner.client.purge_record("suspects", record["id"])
    assert _problem(owner.client.decide_access, asked["id"], True, "too late") == (404, "not-found")
    assert _problem(querier.client.withdraw_access_request, asked["id"], "not needed") == (404, "not-found")
    assert [item["status"] for item in owner.client.access_requests()["items"]] == ["pending"]


def test_finding_06_the_budget_counts_every_value_tested(
    settings: Settings, db: Database, pair: tuple[Member, Member], server_jwks: dict[str, Any], clock: Any
) -> None:
    _, querier = pair
    tight = create_app(settings.model_copy(update={"match_budget_per_hour": 10}), database=db, clock=clock)
    with in_process_client(tight, BASE_URL) as http:
        client = KixClient(BASE_URL, querier.key, server_jwks, http_client=http, clock=clock.timestamp)
        many = {"names": [f"Name {i}" for i in range(4)], "documents": ["A1234567", "B1234567", "C1234567"]}
        assert client.match(many)["remaining_budget"] == 3
        with pytest.raises(KixProblem) as refused:
            client.match({"names": ["One", "Two", "Three", "Four"]})
        assert (refused.value.status, refused.value.type) == (429, "urn:kix:problem:rate-limited")
        assert refused.value.problem["remaining_budget"] == 3
        assert int(refused.value.problem["retry_after"]) >= 360  # one unit back every 6 minutes
        assert client.match({"names": ["One", "Two", "Three"]})["remaining_budget"] == 0
        clock.advance(timedelta(minutes=13))  # two units back
        assert client.match({"names": ["One"]})["remaining_budget"] == 1
        # A query larger than the whole budget can never run: 422, not a Retry-After that never comes.
        assert _problem(client.match, {"names": [f"N {i}" for i in range(11)]}) == (422, "validation-failed")


def test_finding_06_concurrent_queries_never_overspend(
    settings: Settings, db: Database, pair: tuple[Member, Member], server_jwks: dict[str, Any], clock: Any
) -> None:
    _, querier = pair
    tight = create_app(settings.model_copy(update={"match_budget_per_hour": 10}), database=db, clock=clock)
    outcomes: list[int] = []
    with in_process_client(tight, BASE_URL) as http:
        client = KixClient(BASE_URL, querier.key, server_jwks, http_client=http, clock=clock.timestamp)

        def ask(i: int) -> None:
            try:
                client.match({"names": [f"Racer {i} a", f"Racer {i} b", f"Racer {i} c"]})
                outcomes.append(200)
            except KixProblem as problem:
                outcomes.append(problem.status)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(ask, range(8)))
    assert sorted(outcomes) == [200] * 3 + [429] * 5  # 3 x 3 units fit in 10, no more
    with db.sessions() as session:
        spent = session.scalar(select(func.sum(MatchQuery.criteria)).where(MatchQuery.agency_id == "de-bka"))
    assert spent == 9


def test_finding_11_references_need_the_kinds_read_scope(enrol: Any, pair: tuple[Member, Member]) -> None:
    owner, _ = pair
    shared = owner.client.create_record("suspects", suspect(rules=rules(discoverable=True)))
    undiscoverable = owner.client.create_record(
        "suspects",
        suspect(
            names=[{"full_name": "Ivo Undiscoverable"}],
            documents=[{"kind": "passport", "number": "U9999999", "issuing_country": "HR"}],
            rules=rules(discoverable=False),
        ),
    )
    matcher_only = enrol("fr-ocrb", key_scopes=["matches:query", "requests:write"])
    answer = matcher_only.client.match({"documents": ["N1234567", "U9999999"]})
    assert answer["references"] == []  # it sees both records, but may not read suspects
    assert [(hit["owner"], hit["kind"]) for hit in answer["hits"]] == [("jo-psd", "suspect")]
    reader = enrol("es-ucic", key_scopes=["matches:query", "suspects:read"])
    found = {
        ref["record_id"] for ref in reader.client.match({"documents": ["N1234567", "U9999999"]})["references"]
    }
    assert found == {shared["id"], undiscoverable["id"]}


def test_reindex_gives_back_what_matching_finds(enrol: Any, db: Database, vault: Vault) -> None:
    owner = enrol("it-dcsa")
    created = owner.client.create_record("suspects", suspect(names=[{"full_name": "张伟", "script": "Hani"}]))
    with db.transaction() as session:  # indexed by an older normaliser, say: its keys are gone
        session.execute(delete(BlindIndex).where(BlindIndex.record_id == created["id"]))
    assert owner.client.match({"names": ["Zhang Wei"]})["references"] == []
    assert reindex_all(db, vault) >= 1
    found = owner.client.match({"names": ["Zhang Wei"]})["references"]
    assert [ref["record_id"] for ref in found] == [created["id"]]


def test_results_say_what_matched_and_how(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    record = owner.client.create_record(
        "suspects",
        suspect(
            names=[{"full_name": "Mohammed Al-Rashid", "script": "Latn"}],
            date_of_birth="1985-03-14",
            documents=[{"kind": "passport", "number": "N1234567", "issuing_country": "JO"}],
            rules=rules(mode="all_members"),
        ),
    )
    answer = querier.client.match({"names": ["Muhammad al Rashid"], "dates_of_birth": ["1985-03-14"]})
    [found] = answer["references"]
    assert found["record_id"] == record["id"]
    assert found["reasons"] == ["date_of_birth: exact", "name: family same, given variant"]
    assert found["strength"] == "strong"
    # A birth date a year off only corroborates: it is named, and makes no hit alone.
    near = querier.client.match({"names": ["Muhammad al Rashid"], "dates_of_birth": ["1986-03-14"]})
    assert near["references"][0]["reasons"] == ["date_of_birth: near", "name: family same, given variant"]
    assert querier.client.match({"dates_of_birth": ["1986-03-14"]})["references"] == []
    # A document number read with OCR confusions (I for 1, S for 5) is a strong, not an exact, hit.
    [by_document] = querier.client.match({"documents": ["NI234S67"]})["references"]
    assert (by_document["strength"], by_document["reasons"]) == (
        "strong",
        ["document: allowing OCR confusions"],
    )
    # A look-alike name of a different person is no hit at all.
    assert querier.client.match({"names": ["Mahmoud Al-Rashid"]})["references"] == []


def test_a_known_family_name_is_compared_as_such(pair: tuple[Member, Member]) -> None:
    owner, querier = pair
    name = {"full_name": "Nguyen Van Minh", "family_name": "Nguyen", "script": "Latn"}
    record = owner.client.create_record("suspects", suspect(names=[name], rules=rules(mode="all_members")))
    [found] = querier.client.match({"names": ["Nguyen, Van Minh"]})["references"]
    assert found["record_id"] == record["id"]
    assert found["reasons"] == ["name: exact"]
    # The same given names under another family name are another person.
    assert querier.client.match({"names": ["Tran, Van Minh"]})["references"] == []
    with pytest.raises(KixProblem) as refused:
        owner.client.create_record(
            "suspects", suspect(names=[{"full_name": "Nguyen Van Minh", "family_name": "Tran"}])
        )
    assert refused.value.status == 422


def test_a_patronymic_is_never_the_family_name_and_costs_little_when_left_out(
    pair: tuple[Member, Member],
) -> None:
    owner, querier = pair
    structured = {"full_name": "Petrov Ivan Ivanovich", "family_name": "Petrov", "patronymic": "Ivanovich"}
    inferred = {"full_name": "Sidorova Anna Pavlovna", "script": "Latn"}  # the official order, unmarked
    made = [
        owner.client.create_record("suspects", suspect(names=[name], rules=rules(mode="all_members")))["id"]
        for name in (structured, inferred)
    ]
    for query, record_id in (("Ivan Petrov", made[0]), ("Anna Sidorova", made[1])):
        [found] = querier.client.match({"names": [query]})["references"]
        assert (found["record_id"], found["strength"]) == (record_id, "strong")
    # Known as such, a patronymic is still compared when both names carry one: another father's son.
    assert querier.client.match({"names": ["Petrov, Ivan, Sergeyevich"]})["references"] == []
    for wrong in ({"patronymic": "Ivanovich"}, {"family_name": "Petrov", "patronymic": "Petrovich"}):
        refused = structured | {"family_name": None} | wrong
        with pytest.raises(KixProblem) as problem:
            owner.client.create_record("suspects", suspect(names=[refused]))
        assert problem.value.status == 422


def test_a_keying_error_in_a_name_is_a_possible_hit_only_with_the_birth_date(
    pair: tuple[Member, Member],
) -> None:
    owner, querier = pair
    name = {"full_name": "Maksim Filippov", "script": "Latn"}
    owner.client.create_record(
        "suspects", suspect(names=[name], date_of_birth="1990-07-02", rules=rules(mode="all_members"))
    )
    # A slip of the finger (u for i, keys side by side) is a possible hit on its own...
    [slip] = querier.client.match({"names": ["Maksim Fulippov"]})["references"]
    assert (slip["strength"], slip["reasons"]) == ("possible", ["name: family similar, given same"])
    # ...another letter (t for l) may be another name: a hit only with the same date of birth.
    assert querier.client.match({"names": ["Maksim Fitippov"]})["references"] == []
    [found] = querier.client.match({"names": ["Maksim Fitippov"], "dates_of_birth": ["1990-07-02"]})[
        "references"
    ]
    assert found["strength"] == "possible"
    assert found["reasons"] == [
        "date_of_birth: exact",
        "name: near (family different, given same), with the date of birth",
    ]


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("Trương Thị Hòa", "Trương Thị Hoa"),  # Vietnamese in full: another tone, another name
        ("张欣怡", "章欣怡"),  # two family names read zhang alike
        ("حسين منصور", "Hassan Mansour"),  # consonants alike across a script without vowels
    ],
)
def test_names_only_alike_are_possible_hits_and_a_birth_date_makes_them_strong(
    pair: tuple[Member, Member], stored: str, asked: str
) -> None:
    owner, querier = pair
    name = {"full_name": stored}
    owner.client.create_record(
        "suspects", suspect(names=[name], date_of_birth="1979-11-30", rules=rules(mode="all_members"))
    )
    [alone] = querier.client.match({"names": [asked]})["references"]
    assert alone["strength"] == "possible"
    [with_date] = querier.client.match({"names": [asked], "dates_of_birth": ["1979-11-30"]})["references"]
    assert with_date["strength"] == "strong"
    [same] = querier.client.match({"names": [stored]})["references"]
    assert (same["strength"], same["reasons"]) == ("exact", ["name: exact"])


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("Sergej Schewtschenko", "Sergei Shevchenko"),  # stored in German, asked in English
        ("Sergei Shevchenko", "Serguei Chevtchenko"),  # stored in English, asked in French
        ("Nikita Khrouchtchev", "Nikita Chruschtschow"),  # French against German
        ("Teng Hsiao-ping", "Deng Xiaoping"),  # stored in Wade-Giles, asked in pinyin
        ("Mao Zedong", "Mao Tse-tung"),
        ("陳大文", "Chan Tai Man"),  # stored in Han characters, asked as Hong Kong writes it
    ],
)
def test_a_name_is_found_in_another_romanisation(
    pair: tuple[Member, Member], stored: str, asked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every token counts as common, as Sergei or Deng is at scale: the record is found only by a pair of
    # tokens, which the name's other reading must share with the asked one in the blind index.
    monkeypatch.setattr(matching_candidates, "RARE_TOKEN", 0)
    owner, querier = pair
    body = suspect(names=[{"full_name": stored}], rules=rules(mode="all_members"))
    record = owner.client.create_record("suspects", body)
    [found] = querier.client.match({"names": [asked]})["references"]
    assert (found["record_id"], found["strength"]) == (record["id"], "strong")


def test_a_common_token_finds_candidates_only_in_pairs(
    enrol: Any, db: Database, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        matching_candidates, "RARE_TOKEN", 2
    )  # a token held by more than two records is common here
    owner = enrol("jo-psd")
    names = ["Katarina Horvat", "Katarina Novak", "Katarina Kovac", "Katarina Babic", "Ivana Horvat"]
    ids = {
        name: owner.client.create_record("suspects", suspect(names=[{"full_name": name}]))["id"]
        for name in names
    }

    def found(*queried: str) -> list[str]:
        with db.sessions() as session:
            return [
                row[0]
                for row in matching_candidates.name_candidates(session, vault.keys.index, list(queried))
            ]

    # Katarina is common: only the record holding the pair, and those holding the rare Horvat, best first.
    assert found("Horvat Katarina") == [ids["Katarina Horvat"], ids["Ivana Horvat"]]
    # A name of one common token has no pair: some of its holders, up to the bound, rather than none.
    alone = found("Katarina")
    assert len(alone) == 3
    assert set(alone) <= {ids[name] for name in names if name.startswith("Katarina")}
    # A common token beside one nobody holds: nothing to score (not a crowd of Katarinas).
    assert found("Katarina Jelena") == []


def test_a_name_many_records_hold_answers_the_best_hundred_and_says_it_was_cut(
    pair: tuple[Member, Member], db: Database
) -> None:
    owner, querier = pair
    crowd = MAX_RESULTS + 20
    # Others of the name, created first (lower ids), some visible to the querier and some only discoverable,
    # and one more holding the date of birth asked for, created last: the ranking, not the order, finds it.
    bodies = [
        suspect(
            names=[{"full_name": "Wang Wei"}],
            date_of_birth=f"19{60 + number % 30}-0{1 + number % 9}-1{number % 9}",
            documents=[],
            rules=rules(mode="all_members" if number % 2 else "owner_only"),
        )
        for number in range(crowd)
    ]
    few = [suspect(names=[{"full_name": "Li Na"}], documents=[]) for _ in range(3)]
    passport = [{"kind": "passport", "number": "E7654321", "issuing_country": "CN"}]
    other = suspect(names=[{"full_name": "Zhang San"}], documents=passport, rules=rules(mode="all_members"))
    owner.client.create_records("suspects", bodies + few + [other])
    # Spelled otherwise (strong, not exact), but with the birth date: more that matched outranks exact.
    wanted = owner.client.create_record(
        "suspects", suspect(names=[{"full_name": "Wang Wey"}], date_of_birth="1979-11-30", documents=[])
    )
    with db.sessions() as session:
        hits_before = session.scalar(select(func.count()).select_from(Hit)) or 0

    with statements(db) as seen:
        answer = querier.client.match({"names": ["Wei Wang"], "dates_of_birth": ["1979-11-30"]})
    # Sight of the records found is checked a record at a time, never by hashing every grant the querier
    # holds (23 ms against 8 for 600 records found at a million suspects): both grant checks fenced.
    sight = [grant_checks(statement) for statement in seen if "record_grants" in statement]
    assert sight
    assert all(checks == [True, True] for checks in sight)
    answered = answer["references"] + answer["hits"]
    assert len(answered) == MAX_RESULTS
    assert answer["truncated"] is True
    assert answer["references"][0]["record_id"] == wanted["id"]  # the name and the birth date: first
    assert answer["references"][0]["matched_on"] == ["date_of_birth", "name"]
    assert len(answer["hits"]) > 10  # the owner-only ones came back as bare hits, within the bound
    # Only what was answered is a hit its owner is told of.
    with db.sessions() as session:
        recorded = (session.scalar(select(func.count()).select_from(Hit)) or 0) - hits_before
    assert recorded == MAX_RESULTS

    # A document number names one person, a name many: the record it names comes first, though its name
    # is another and a hundred records hold the name asked for.
    narrow = querier.client.match({"names": ["Wang Wei"], "documents": ["E 7654321"]})
    assert narrow["truncated"] is True
    assert narrow["references"][0]["matched_on"] == ["document"]
    under = querier.client.match({"names": ["Li Na"]})
    assert (len(under["references"] + under["hits"]), under["truncated"]) == (3, False)
