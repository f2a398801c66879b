"""Matching benchmark: hit/no-hit latency at scale on PostgreSQL, and what encryption at rest costs a
record's create and get.

Run from the repository root:

    /tmp/kv/bin/python -m bench.matching               # part 2 only, on SQLite (well under a minute)
    /tmp/kv/bin/python -m bench.matching --postgres    # parts 1 and 2 on PostgreSQL (about 6 minutes)
    options: [--scale 100000] [--queries 300] [--seconds 35] [--concurrency 4] [--workers 1]
             [--ops 2000] [--rounds 5] [--skip-match] [--skip-at-rest] [--keep-temp]

Everything runs on 127.0.0.1 and is set up as bench/roundtrip.py and bench/records.py do (their helpers
are reused): a temp dir holds the server key, the demo agencies' keys and the storage keys.

Part 1, match latency at scale (PostgreSQL only). A scratch database `kix_bench_match` (dropped at the
end) is migrated, gets the demo agencies (de-bka queries), app.demo's 22 agencies and 4 groups (de-bka
joins the EU task force), then --scale suspects and --scale leads loaded with COPY into `records`,
`record_grants` and `blind_indexes`: each row what services.records.create_record writes (bodies
validated by SuspectCreate/LeadCreate, sealed with vault.new_secrets, columns from kinds.SUSPECTS/LEADS,
rules as _rules_json makes them, blind-index rows from indexing.digests(terms_of(...))); record_revisions,
which matching never reads, are not loaded. Owners are app.demo's 22 agencies; distribution is mostly
owner_only (90% discoverable, so de-bka gets hits), some all_members, groups and agencies. Names come from
twelve naming cultures (Latin, Arabic, Cyrillic, Greek, Devanagari and Han spellings, aliases in a
second script), about 45% with a made-up surname so the name-token index has a long tail. Six planted
people (one suspect in a thousand each) are written in Latin, sometimes with a native-script alias, and
queried in the native script. Documents, valid IBANs (schwifty), wallets and phones are generated, a
few shared between records. Then VACUUM ANALYZE.

`kix serve` starts with KIX_MATCH_BUDGET_PER_HOUR=1000000 and de-bka sends POST /v1/matches, signed and
encrypted by the SDK's Codec before each phase and replayed as raw HTTP/1.1 over keep-alive connections,
for seven query shapes (below), first one connection (sequential), then --concurrency connections. A
phase stops after --queries queries or --seconds seconds (signatures expire after 60 s). Every answer is
opened outside the timed region to count references and hits. Then each shape runs in process
(services.matching.run_match, rolled back) with SQLAlchemy's cursor events and wrappers around the name
scoring to split its time, once with the vault's data-key cache cleared and once warm; and the captured
candidate, record and visibility queries run under EXPLAIN (ANALYZE, BUFFERS). The benchmark's own
catalogue of the loaded data (a million objects) is moved out of the garbage collector's way (gc.freeze)
so that its full collections do not pause the client or the in-process runs.

Part 2, at-rest encryption on create and get, in process (SQLite; PostgreSQL with --postgres). Two fresh
databases, one per mode, each with de-bka (owner) and it-dcsa (reader, granted). The same --ops suspect
bodies are created (services.records.create_record, one transaction each) and each is read back twice in
a row (get_visible + readable_body as it-dcsa, a session each: first with its data key not yet unwrapped,
then with it in the Vault's cache), with the real Vault and with
BypassVault (this file only: seal/open return their input, no data key is wrapped or unwrapped), in
--rounds interleaved rounds. Medians per operation and the ratio sealed/bypassed are printed. Blind
indexes are computed in both modes.

Figures are printed, never asserted.
"""

import argparse
import asyncio
import gc
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import uvloop
from pydantic import ValidationError
from schwifty import IBAN
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from app.bootstrap import DEMO_AGENCIES
from app.client.codec import Codec, KixProblem
from app.crypto.storage_keys import StorageKeys, load_storage_keys
from app.db import Database
from app.demo import AGENCIES, FIRST, GROUPS, LAST, OTHER_SCRIPT, _rules
from app.errors import KixError
from app.ids import uuid7
from app.models import Hit, Record
from app.schemas.agencies import AgencyCreate, AgencyKind, ContactPoint, GroupCreate
from app.schemas.common import InputModel, Scope
from app.schemas.matching import MatchRequest
from app.schemas.records import SharingRules
from app.schemas.suspects import SuspectCreate
from app.services.matching import indexing, normalize
from app.services.matching import search as matching
from app.services.identity.agencies import add_group_member, create_agency, create_group
from app.services.records.kinds import INITIAL_STATUS, LEADS, SUSPECTS, KindSpec
from app.services.matching.names import name_similarity
from app.services.records.store import Actor, _body, _rules_json, create_record, get_visible, readable_body
from app.services.vault import RecordSecrets, Vault, new_secrets
from app.services.records.visibility import AGENCY_GRANT, GROUP_GRANT
from bench.records import RECORD_COLUMNS, admin_engine, open_raw, percentile, psycopg_connect, signed
from bench.roundtrip import (
    HOST,
    KIX_CLI,
    BenchError,
    RawResponse,
    Server,
    close_connection,
    free_port,
    kix_env,
    positive_int,
    read_response,
    serialise,
    set_up_kix,
    start_server,
    stop_server,
    wait_ready,
)

QUERIER = "de-bka"  # the agency set_up_kix returns a Codec for
QUERIER_GROUP = "eu-ransom-taskforce"  # de-bka joins it, so group grants reach it
READER = "it-dcsa"  # part 2: reads what de-bka creates (granted by name)
MATCH_DATABASE = "kix_bench_match"
AT_REST_DATABASES = {"sealed": "kix_bench_match_sealed", "bypassed": "kix_bench_match_bypassed"}
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_SCALE = 100_000
BUDGET = 1_000_000
CHUNK = 5000  # records per COPY batch
HISTORY_DAYS = 730
SIGNATURE_BUDGET_SECONDS = 50.0
IN_PROCESS_SAMPLE = 6  # queries per shape run in process
OWNERS = [agency[0] for agency in AGENCIES]
RECIPIENTS = OWNERS + [QUERIER, READER]
# Distribution of part 1's records, with weights; owner_only records are mostly discoverable.
MODES = {"owner_only": 70, "all_members": 15, "groups": 8, "agencies": 7}
LEAD_KINDS = {"bank_account": 55, "crypto_wallet": 35, "vehicle": 4, "real_estate": 3, "company": 3}
LEAD_STATUSES = {"traced": 50, "frozen": 25, "confiscated": 10, "returned": 4, "released": 6, "closed": 5}
CHAINS = {"bitcoin": 45, "ethereum": 40, "tron": 15}
# (country, bank code, account digits) for schwifty's IBAN.generate; a few national formats.
BANKS = [
    ("DE", "37040044", 10),
    ("DE", "50010517", 10),
    ("FR", "2004101005", 11),
    ("ES", "21000418", 10),
    ("NL", "ABNA", 10),
    ("IT", "0542811101", 12),
    ("BE", "539", 7),
    ("GR", "0110125", 16),
    ("PL", "10901014", 16),
    ("RO", "BTRL", 16),
    ("MT", "MALT01100", 18),
    ("AT", "19043", 11),
    ("PT", "00020123", 11),
    ("GB", "NWBK601613", 8),
]
# (prefix, digits after it): possible numbers in E.164.
PHONES = [
    ("+49151", 8),
    ("+39347", 7),
    ("+336", 8),
    ("+234803", 7),
    ("+5255", 8),
    ("+38067", 7),
    ("+90532", 7),
    ("+9198", 8),
    ("+55119", 8),
    ("+63917", 7),
    ("+30697", 7),
    ("+4072", 7),
    ("+4860", 7),
]
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# ---------------------------------------------------------------- names
Spelling = tuple[str, str | None]  # (Latin spelling, native spelling or None)


def _spellings(text_: str) -> tuple[Spelling, ...]:
    """ "Latin|Native, Latin, ..." -> ((Latin, Native), (Latin, None), ...)."""
    pairs: list[Spelling] = []
    for item in text_.split(","):
        latin, _, native = item.strip().partition("|")
        pairs.append((latin, native or None))
    return tuple(pairs)


@dataclass(frozen=True)
class Culture:
    name: str
    weight: int
    script: str  # ISO 15924 of the native spellings
    countries: tuple[str, ...]
    firsts: tuple[Spelling, ...]
    lasts: tuple[Spelling, ...]
    suffixes: tuple[str, ...]  # endings of made-up surnames
    family_first: bool = False  # the native spelling puts the family name first, unspaced (Han)


CULTURES = (
    Culture(
        "app.demo", 8, "mixed", ("IT", "ES", "UA", "NG", "IN", "BR", "MX", "LB", "RO", "GR", "TR", "ZA"),
        tuple((name, None) for name in FIRST),
        tuple((name, OTHER_SCRIPT[name][0] if name in OTHER_SCRIPT else None) for name in LAST),
        ("ini", "ez", "enko", "escu"),
    ),
    Culture(
        "arabic", 13, "Arab", ("JO", "IQ", "SY", "LB", "EG", "MA", "DZ", "LY", "SA"),
        _spellings(
            "Mohammed|محمد, Muhammad|محمد, Mohamed|محمد, Ahmed|أحمد, Ahmad|أحمد, Youssef|يوسف, Khalid|خالد, "
            "Hassan|حسن, Hussein|حسين, Ibrahim|إبراهيم, Mustafa|مصطفى, Tariq|طارق, Karim|كريم, Samir|سمير, "
            "Fatima|فاطمة, Amina|أمينة, Layla|ليلى, Nour|نور, Rania|رانيا, Bilal|بلال, Hamza|حمزة, "
            "Walid|وليد, Faisal|فيصل, Abdullah|عبدالله, Salim|سليم, Yasmin|ياسمين, Mariam|مريم, Zainab|زينب"
        ),
        _spellings(
            "Al-Rashid|الرشيد, Haddad|حداد, Mansour|منصور, Nasser|ناصر, Saleh|صالح, Hamdan|حمدان, "
            "Khoury|خوري, Darwish|درويش, Al-Masri|المصري, Qasim|قاسم, Al-Hashimi|الهاشمي, Barakat|بركات, "
            "Suleiman|سليمان, Al-Jabouri|الجبوري, Othman|عثمان, Al-Amin|الأمين, Abboud|عبود, Khalil|خليل, "
            "Jaber|جابر, Al-Obeidi|العبيدي, Sabbagh|صباغ, Farouk|فاروق, Al-Tamimi|التميمي, Najjar|نجار"
        ),
        ("i", "awi", "ani", "oun"),
    ),
    Culture(
        "east-slavic", 11, "Cyrl", ("UA", "RU", "BY", "MD", "KZ"),
        _spellings(
            "Dmitry|Дмитрий, Sergei|Сергей, Oleg|Олег, Ivan|Иван, Andriy|Андрій, Oleksandr|Олександр, "
            "Yevgeny|Евгений, Vladimir|Владимир, Mikhail|Михаил, Olena|Олена, Natalia|Наталья, "
            "Tatiana|Татьяна, Iryna|Ірина, Maksym|Максим, Artem|Артём, Yulia|Юлия, Nikolai|Николай, "
            "Pavel|Павел, Aleksei|Алексей, Svetlana|Светлана, Bohdan|Богдан, Taras|Тарас, Ruslan|Руслан, "
            "Viktor|Виктор"
        ),
        _spellings(
            "Ivanov|Иванов, Petrov|Петров, Sokolov|Соколов, Popov|Попов, Morozov|Морозов, Volkov|Волков, "
            "Kovalenko|Коваленко, Shevchenko|Шевченко, Bondarenko|Бондаренко, Tkachenko|Ткаченко, "
            "Kravchenko|Кравченко, Melnyk|Мельник, Lebedev|Лебедев, Novikov|Новиков, Fedorov|Фёдоров, "
            "Pavlenko|Павленко, Smirnov|Смирнов, Kuznetsov|Кузнецов, Vasiliev|Васильев, Zaitsev|Зайцев, "
            "Marchenko|Марченко, Rudenko|Руденко, Savchenko|Савченко, Moroz|Мороз"
        ),
        ("ov", "enko", "uk", "in", "sky", "ovich"),
    ),
    Culture(
        "greek", 4, "Grek", ("GR", "CY"),
        _spellings(
            "Nikos|Νίκος, Giorgos|Γιώργος, Dimitris|Δημήτρης, Kostas|Κώστας, Ioannis|Ιωάννης, "
            "Eleni|Ελένη, Maria|Μαρία, Sofia|Σοφία, Panagiotis|Παναγιώτης, Vasilis|Βασίλης, "
            "Christos|Χρήστος, Katerina|Κατερίνα, Spyros|Σπύρος, Angeliki|Αγγελική"
        ),
        _spellings(
            "Papadopoulos|Παπαδόπουλος, Georgiou|Γεωργίου, Nikolaidis|Νικολαΐδης, "
            "Konstantinou|Κωνσταντίνου, Papageorgiou|Παπαγεωργίου, Vlachos|Βλάχος, Oikonomou|Οικονόμου, "
            "Makris|Μακρής, Antoniou|Αντωνίου, Dimitriou|Δημητρίου, Pappas|Παππάς, Alexiou|Αλεξίου, "
            "Karagiannis|Καραγιάννης, Theodorou|Θεοδώρου"
        ),
        ("opoulos", "idis", "akis", "ou"),
    ),
    Culture(
        "turkish", 6, "Latn", ("TR", "DE", "NL", "CY"),
        _spellings(
            "Mehmet, Mustafa, Ahmet, Emre, Burak, Murat, Hakan, Ayşe, Zeynep, Elif, Fatma, Hüseyin, Yusuf, "
            "Kemal, Serkan, Cem, Ömer, Gökhan, Selin, Deniz"
        ),
        _spellings(
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Aydın, Öztürk, Arslan, Doğan, Kılıç, Aslan, Koç, Kurt, "
            "Özdemir, Polat, Erdoğan, Yıldız, Güler"
        ),
        ("oğlu", "er", "can", "türk"),
    ),
    Culture(
        "hispanic", 14, "Latn", ("MX", "CO", "VE", "ES", "AR", "PE", "EC", "GT", "HN"),
        _spellings(
            "José, Juan, Carlos, Luis, Miguel, Jorge, Alejandro, Fernando, Ricardo, María, Ana, Gabriela, "
            "Daniela, Valentina, Camila, Diego, Javier, Andrés, Sofía, Lucía, Pedro, Raúl, Sergio, Francisco"
        ),
        _spellings(
            "García, Rodríguez, Martínez, López, González, Hernández, Pérez, Sánchez, Ramírez, Torres, "
            "Flores, Díaz, Vargas, Castillo, Moreno, Rojas, Gutiérrez, Mendoza, Ortiz, Cruz, Morales, "
            "Jiménez, Ruiz, Aguilar, Medina, Castro"
        ),
        ("ez", "ado", "ero", "illa", "eda"),
    ),
    Culture(
        "lusophone", 7, "Latn", ("BR", "PT", "AO", "MZ"),
        _spellings(
            "João, Pedro, Lucas, Gabriel, Rafael, Mateus, Ana, Juliana, Beatriz, Larissa, Thiago, Bruno, "
            "Felipe, Fernanda, Camila, Rodrigo"
        ),
        _spellings(
            "Silva, Santos, Oliveira, Souza, Pereira, Costa, Rodrigues, Almeida, Nascimento, Lima, Carvalho, "
            "Ferreira, Araújo, Ribeiro, Gomes, Martins, Barbosa, Rocha"
        ),
        ("eira", "inho", "ão", "es"),
    ),
    Culture(
        "african", 10, "Latn", ("NG", "KE", "ZA", "GH", "CM", "UG"),
        _spellings(
            "Chinedu, Emeka, Oluwaseun, Babajide, Ngozi, Chiamaka, Ifeanyi, Tunde, Aisha, Abubakar, "
            "Thandiwe, Sipho, Themba, Kwame, Wanjiru, Otieno, Kofi, Ama, Adebayo, Folake, Nnamdi, "
            "Zanele, Musa, Halima"
        ),
        _spellings(
            "Okafor, Adeyemi, Okonkwo, Eze, Bello, Ibrahim, Nkosi, Dlamini, Ndlovu, Mensah, Ochieng, Kamau, "
            "Mwangi, Odhiambo, Balogun, Oyelaran, Nwosu, Obi, Mahlangu, Boateng, Owusu, Abdullahi, Danjuma"
        ),
        ("wu", "ola", "eke", "ani", "ah"),
    ),
    Culture(
        "south-asian", 9, "Deva", ("IN", "NP"),
        _spellings(
            "Rahul|राहुल, Amit|अमित, Sanjay|संजय, Vikram|विक्रम, Priya|प्रिया, Anjali|अंजलि, Rajesh|राजेश, "
            "Suresh|सुरेश, Deepak|दीपक, Pooja|पूजा, Arjun|अर्जुन, Neha|नेहा, Ravi|रवि, Sunita|सुनीता, "
            "Manoj|मनोज, Kavita|कविता"
        ),
        _spellings(
            "Sharma|शर्मा, Patel|पटेल, Singh|सिंह, Gupta|गुप्ता, Kumar|कुमार, Verma|वर्मा, Yadav|यादव, "
            "Joshi|जोशी, Mehta|मेहता, Mishra|मिश्रा, Chauhan|चौहान, Pandey|पांडे, Das|दास, Reddy, Nair, Iyer"
        ),
        ("wal", "kar", "ani", "endra"),
    ),
    Culture(
        "filipino", 4, "Latn", ("PH",),
        _spellings(
            "Jose, Mark, John Paul, Angelica, Maricel, Jericho, Rodel, Jonathan, Kristine, Mary Grace, "
            "Ramon, Edgardo"
        ),
        _spellings(
            "Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Dela Cruz, Villanueva, Aquino, Ramos, "
            "Castillo, Navarro, Soriano"
        ),
        ("an", "ino", "ez"),
    ),
    Culture(
        "chinese", 4, "Hani", ("CN", "TW", "SG", "MY"),
        _spellings(
            "Wei|伟, Fang|芳, Jie|杰, Min|敏, Jing|静, Lei|磊, Yan|燕, Hao|浩, Qiang|强, Li|丽, "
            "Jun|军, Xin|欣, Yong|勇, Ping|平, Tao|涛, Hui|辉"
        ),
        _spellings(
            "Wang|王, Li|李, Zhang|张, Liu|刘, Chen|陈, Yang|杨, Huang|黄, Zhao|赵, Wu|吴, Zhou|周, Xu|徐, "
            "Sun|孙, Ma|马, Zhu|朱, Hu|胡, Guo|郭"
        ),
        (),
        family_first=True,
    ),
    Culture(
        "european", 10, "Latn", ("IT", "FR", "DE", "PL", "RO", "NL", "BE", "AT"),
        _spellings(
            "Giulia, Marco, Luca, Francesca, Alessandro, Matteo, Jean, Pierre, Camille, Julien, Thomas, "
            "Lukas, Anna, Katarzyna, Piotr, Tomasz, Andrei, Ioana, Mihai, Jan, Pieter, Sanne, Stefan, Laura, "
            "Nicolas, Sophie"
        ),
        _spellings(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Martin, Bernard, Dubois, Lefebvre, Müller, "
            "Schmidt, Schneider, Fischer, Nowak, Kowalski, Wiśniewski, Wójcik, Popescu, Ionescu, Dumitru, "
            "de Vries, Jansen, Bakker, Visser, Moreau, Ricci, Weber"
        ),
        ("ini", "escu", "ski", "mann", "sen", "eau"),
    ),
)  # fmt: skip
ONSETS = "b d g k l m n p r s t v z br dr gr kr pr st tr sh ch kh zh".split()
NUCLEI = "a e i o u a e i o ai ei ou ia".split()
CODAS = ["", "", "", "", "n", "r", "s", "l", "k", "m", "t"]
SYNTHETIC_SURNAME = 0.45  # share of made-up surnames: the long tail of the name-token index
SYNTHETIC_GIVEN = 0.10


@dataclass(frozen=True)
class Planted:
    """A person several agencies recorded (in Latin spellings), queried in the native script."""

    stored: tuple[str, ...]
    native: str
    script: str


PLANTED = (
    Planted(("Yevgeny Nazarbekov", "Evgeny Nazarbekov", "Yevgeniy Nazarbekov"), "Евгений Назарбеков", "Cyrl"),
    Planted(("Mohammed Al-Tikriti", "Muhammad al-Tikriti", "Mohamed Al Tikriti"), "محمد التكريتي", "Arab"),
    Planted(("Giorgos Karamanlis", "Georgios Karamanlis", "George Karamanlis"), "Γιώργος Καραμανλής", "Grek"),
    Planted(("Rajesh Malhotra", "Rajesh Kumar Malhotra"), "राजेश मल्होत्रा", "Deva"),
    Planted(("Hassan Al-Zubaidi", "Hasan al-Zubaydi"), "حسن الزبيدي", "Arab"),
    Planted(
        ("Oleksandr Kovalchuk", "Aleksandr Kovalchuk", "Olexandr Kovalchuk"), "Олександр Ковальчук", "Cyrl"
    ),
)
PLANTED_EVERY = 1000  # suspect i is planted person i % 1000 when that is below len(PLANTED)
# Names nobody in the data has: rare given names and surnames, and common given names with rare surnames.
RARE_GIVEN = (
    "Hendrik Siobhan Torbjørn Aurelio Wojciech Eero Bolat Kealoha Gwenaëlle Leopold Ingrid Tadeusz".split()
)
RARE_SURNAMES = (
    "Vanderstraeten Featherstonehaugh Kvalheim Brzęczyszczykiewicz Häkkinen Zhaksylykov Quintanilla "
    "Wittgenfeld Thorvaldsdóttir Oyelowo-Adeyinka Makoa Ní-Fhlaithbheartaigh"
).split()
COMMON_GIVEN = "Mohammed María Giorgos Yevgeny Carlos Dmitry Mehmet Chinedu Rahul João".split()


class NameMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.weights = [culture.weight for culture in CULTURES]

    def culture(self) -> Culture:
        culture: Culture = self.rng.choices(CULTURES, weights=self.weights)[0]
        return culture

    def made_up(self, suffixes: tuple[str, ...], syllables: tuple[int, int]) -> str:
        rng = self.rng
        word = "".join(
            rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS)
            for _ in range(rng.randint(*syllables))
        )
        if suffixes and rng.random() < 0.6:
            word += rng.choice(suffixes)
        return word.capitalize()

    def names(self, culture: Culture) -> list[dict[str, Any]]:
        """A suspect's names: a primary one, perhaps a native-script alias and a variant."""
        rng = self.rng
        first, last = rng.choice(culture.firsts), rng.choice(culture.lasts)
        if culture.name != "chinese" and rng.random() < SYNTHETIC_SURNAME:
            last = (self.made_up(culture.suffixes, (2, 3)), None)
        if rng.random() < SYNTHETIC_GIVEN:
            first = (self.made_up((), (2, 2)), None)
        parts = [first, last]
        if culture.name in ("hispanic", "lusophone") and rng.random() < 0.35:
            parts.append(rng.choice(culture.lasts))  # a second surname
        elif culture.name not in ("chinese", "filipino") and rng.random() < 0.08:
            parts.insert(1, rng.choice(culture.firsts))  # a middle name
        if culture.family_first:
            latin = " ".join(p[0] for p in [last, first])
            native = last[1] + first[1] if last[1] and first[1] else None
        elif culture.name == "app.demo":  # as app.demo writes it: the surname alone, in its script
            latin, native = " ".join(p[0] for p in parts), last[1]
        else:
            latin = " ".join(p[0] for p in parts)
            natives = [p[1] for p in parts]
            native = " ".join(n for n in natives if n) if all(natives) else None
        script = OTHER_SCRIPT[last[0]][1] if culture.name == "app.demo" and native else culture.script
        names: list[dict[str, Any]] = [{"full_name": latin, "script": "Latn"}]
        draw = rng.random()
        if native and draw < 0.3:
            names = [
                {"full_name": native, "script": script},
                {"full_name": latin, "script": "Latn", "alias": True},
            ]
        elif native and draw < 0.65:
            names.append({"full_name": native, "script": script, "alias": True})
        if rng.random() < 0.06:  # known under another given name
            other = self.made_up((), (2, 2)) if rng.random() < 0.5 else rng.choice(culture.firsts)[0]
            names.append({"full_name": f"{other} {last[0]}", "script": "Latn", "alias": True})
        return names


# ---------------------------------------------------------------- part 1: data
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


class Generator:
    """Deterministic suspects and leads for part 1 (and suspect bodies for part 2)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = NameMaker(rng)
        self.group_ids = [group[0] for group in GROUPS]
        self.hot_documents: list[dict[str, Any]] = []
        self.hot_ibans = [self.iban() for _ in range(300)]

    def weighted(self, weights: dict[str, int]) -> str:
        choice: str = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return choice

    def rules(self, owner: str) -> dict[str, Any]:
        rng = self.rng
        rules = _rules(rng, owner, OWNERS, self.group_ids)  # app.demo's, then this benchmark's distribution
        mode = self.weighted(MODES)
        distribution: dict[str, Any] = {"mode": mode}
        if mode == "groups":
            distribution["groups"] = rng.sample(self.group_ids, k=rng.randint(1, 2))
        elif mode == "agencies":
            distribution["agencies"] = rng.sample([a for a in RECIPIENTS if a != owner], k=rng.randint(1, 4))
        rules["distribution"] = distribution
        rules["discoverable"] = rng.random() < (0.9 if mode == "owner_only" else 0.8)
        return rules

    def document(self, country: str) -> dict[str, Any]:
        rng = self.rng
        if self.hot_documents and rng.random() < 0.02:  # the same passport known to several agencies
            return dict(rng.choice(self.hot_documents))
        if rng.random() < 0.7:
            kind, number = "passport", f"{rng.choice('ABCKNPTUXY')}{rng.randint(1_000_000, 99_999_999)}"
        else:
            kind, number = "national_id", f"{rng.randint(10**8, 10**12 - 1)}"
        document = {"kind": kind, "number": number, "issuing_country": country}
        if len(self.hot_documents) < 300:
            self.hot_documents.append(document)
        return document

    def iban(self) -> str:
        rng = self.rng
        for _ in range(20):
            country, bank, digits = rng.choice(BANKS)
            account = "".join(rng.choice("0123456789") for _ in range(digits))
            try:
                value = IBAN.generate(country, bank_code=bank, account_code=account)
                return str(IBAN(str(value)).compact)
            except ValueError:
                continue
        raise BenchError("could not generate a valid IBAN")

    def wallet(self) -> dict[str, str]:
        rng = self.rng
        chain = self.weighted(CHAINS)
        if chain == "bitcoin":
            address = "bc1q" + "".join(rng.choice(BECH32) for _ in range(38))
        elif chain == "ethereum":
            address = f"0x{rng.getrandbits(160):040x}"
        else:
            address = "T" + "".join(rng.choice(BASE58) for _ in range(33))
        return {"address": address, "chain": chain}

    def suspect(self, planted: Planted | None, planted_dob: str | None) -> dict[str, Any]:
        rng = self.rng
        culture = self.names.culture()
        country = rng.choice(culture.countries)
        if planted is not None:
            names: list[dict[str, Any]] = [{"full_name": rng.choice(planted.stored), "script": "Latn"}]
            if rng.random() < 0.3:
                names.append({"full_name": planted.native, "script": planted.script, "alias": True})
        else:
            names = self.names.names(culture)
        dob: str | None = None
        if planted_dob is not None and rng.random() < 0.7:
            dob = planted_dob  # most agencies agree on the planted person's date of birth
        elif rng.random() < 0.92:
            born = rng.randint(date(1955, 1, 1).toordinal(), date(2006, 12, 31).toordinal())
            dob = date.fromordinal(born).isoformat()
        documents = [self.document(country) for _ in range(1 if rng.random() < 0.85 else 2)]
        phones: list[str] = []
        if rng.random() < 0.35:
            for _ in range(rng.randint(1, 2)):
                prefix, digits = rng.choice(PHONES)
                phones.append(prefix + "".join(rng.choice("0123456789") for _ in range(digits)))
        warrants = []
        if rng.random() < 0.15:
            issued = date.today() - timedelta(days=rng.randint(30, 2000))
            warrants.append(
                {
                    "issued_by": f"Investigating judge, {country}",
                    "reference": f"W-{rng.randint(2015, 2026)}-{rng.randint(1, 99999):05d}",
                    "issued_on": issued.isoformat(),
                    "extradition": rng.choice(["none", "requested", "granted"]),
                }
            )
        return {
            "names": names,
            "date_of_birth": dob,
            "nationalities": [country],
            "documents": documents,
            "group_affiliation": rng.choice([None, "Clan cell", "Cartel logistics", "Express crew", None]),
            "phones": phones,
            "warrants": warrants,
        }

    def lead(self) -> dict[str, Any]:
        rng = self.rng
        kind = self.weighted(LEAD_KINDS)
        identifiers: dict[str, Any] = {}
        if kind == "bank_account":
            identifiers["iban"] = rng.choice(self.hot_ibans) if rng.random() < 0.04 else self.iban()
        elif kind == "crypto_wallet":
            identifiers["wallet"] = self.wallet()
        else:
            identifiers["registry_ref"] = f"REG-{rng.randint(10**6, 10**7 - 1)}"
        status = self.weighted(LEAD_STATUSES)
        lead: dict[str, Any] = {
            "asset_kind": kind,
            "identifiers": identifiers,
            "amount": f"{rng.randint(1, 900) * 1000}.00",
            "currency": rng.choice(["EUR", "USD", "MXN", "NGN"]),
            "jurisdiction": rng.choice([a[1] for a in AGENCIES if a[1] != "EU"]),
            "status": status,
        }
        if status == "frozen":
            lead["freeze_expires_on"] = (date.today() + timedelta(days=rng.randint(10, 300))).isoformat()
        return lead


def validated(model: type[InputModel], raw: dict[str, Any]) -> InputModel:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BenchError(f"generated {model.__name__} is invalid: {exc}") from exc


def visible_to_querier(rules: SharingRules) -> bool:
    distribution = rules.distribution
    return (
        distribution.mode.value == "all_members"
        or QUERIER_GROUP in distribution.groups
        or QUERIER in distribution.agencies
    )


Row = tuple[Any, ...]


def record_rows(
    spec: KindSpec, data: InputModel, owner: str, created: datetime, vault: Vault
) -> tuple[Row, list[Row], list[Row], set[tuple[str, str]]]:
    """The records row, record_grants rows and blind_indexes rows create_record writes for `data`, and
    the record's index terms (plaintext, for the catalogue)."""
    rules: SharingRules = data.rules  # type: ignore[attr-defined]
    body = _body(data)
    review_by = rules.review_by or (created + spec.default_review).date()
    record_id = uuid7()
    secrets, wrapped_key = new_secrets(vault, record_id)
    columns = spec.columns(body)
    row = (
        record_id,
        spec.kind.value,
        owner,
        str(getattr(data, "status", None) or INITIAL_STATUS[spec.kind]),
        columns["category"],
        columns["urgency_rank"],
        columns["country"],
        columns["occurred_at"],
        rules.handling.value,
        rules.distribution.mode.value,
        rules.discoverable,
        review_by,
        json.dumps(_rules_json(rules, review_by)),
        json.dumps(secrets.seal_body(spec.kind.value, body)),
        1,
        created,
        created,
        wrapped_key,
    )
    grants = [(record_id, AGENCY_GRANT, a, created) for a in sorted(set(rules.distribution.agencies))]
    grants += [(record_id, GROUP_GRANT, g, created) for g in sorted(set(rules.distribution.groups))]
    terms = indexing.terms_of(spec.kind.value, body)
    index = [(record_id, term, digest) for term, digest in sorted(indexing.digests(vault.keys.index, terms))]
    return row, grants, index, terms


def prepare_directory(db: Database) -> None:
    """app.demo's agencies and groups, as its fill() makes them; de-bka joins the EU task force."""
    with db.transaction() as session:
        for agency_id, country, name, kind, _region in AGENCIES:
            contact = ContactPoint(name="24/7 desk", phone="+3220000000", email=f"{agency_id}@example.org")
            create_agency(
                session,
                AgencyCreate(
                    id=agency_id,
                    country=country,
                    name=f"{name} (bench)",
                    kind=AgencyKind(kind),
                    scopes=[scope for scope in Scope if scope is not Scope.ADMIN],
                    contact=contact,
                    jurisdictions=[country],
                ),
            )
        for group_id, group_name, member_filter in GROUPS:
            members = [a[0] for a in AGENCIES if member_filter(a)]
            create_group(session, GroupCreate(id=group_id, name=group_name, members=members))
        add_group_member(session, QUERIER_GROUP, QUERIER)


def catalogue_record(
    catalogue: Catalogue, kind: str, record_id: str, body: dict[str, Any], returnable: bool, terms: set[Any]
) -> None:
    catalogue.counts[kind] += 1
    catalogue.counts[f"{kind} returnable"] += returnable
    if kind == "suspect":
        catalogue.skeletons.update(value for term, value in terms if term == indexing.NAME_TOKEN)
        for document in body.get("documents") or []:
            key = normalize.document_number(document["number"])
            catalogue.add("document", key, document["number"], record_id, returnable)
        return
    identifiers = body.get("identifiers") or {}
    if identifiers.get("iban"):
        catalogue.add("iban", identifiers["iban"], identifiers["iban"], record_id, returnable)
    if identifiers.get("wallet"):
        wallet = identifiers["wallet"]
        key = normalize.wallet(wallet["address"], wallet["chain"])
        catalogue.add("wallet", key, wallet, record_id, returnable)


def bulk_load(url: str, scale: int, vault: Vault, rng: random.Random) -> Catalogue:
    """COPY `scale` suspects and `scale` leads, CHUNK records at a time, in one transaction."""
    catalogue = Catalogue()
    generator = Generator(rng)
    now = datetime.now(UTC)
    started = time.perf_counter()
    copy_seconds = 0.0
    totals: Counter[str] = Counter()
    for which in range(len(PLANTED)):
        born = date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28))
        catalogue.planted_dob[which] = born.isoformat()
    with psycopg_connect(url) as connection:
        with connection.cursor() as cursor:
            for spec in (SUSPECTS, LEADS):
                for start in range(0, scale, CHUNK):
                    records: list[Row] = []
                    grants: list[Row] = []
                    indexes: list[Row] = []
                    for number in range(start, min(scale, start + CHUNK)):
                        owner = rng.choice(OWNERS)
                        which = number % PLANTED_EVERY
                        planted = PLANTED[which] if spec is SUSPECTS and which < len(PLANTED) else None
                        if spec is LEADS:
                            raw = generator.lead()
                        else:
                            raw = generator.suspect(planted, catalogue.planted_dob.get(which))
                        raw["rules"] = generator.rules(owner)
                        data = validated(spec.create, raw)
                        created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
                        row, row_grants, row_index, terms = record_rows(spec, data, owner, created, vault)
                        returnable = visible_to_querier(data.rules) or data.rules.discoverable  # type: ignore[attr-defined]
                        records.append(row)
                        grants += row_grants
                        indexes += row_index
                        catalogue_record(catalogue, spec.kind.value, row[0], _body(data), returnable, terms)
                        if planted is not None:
                            catalogue.add("planted", str(which), planted.native, row[0], returnable)
                    copy_started = time.perf_counter()
                    with cursor.copy(f"COPY records ({RECORD_COLUMNS}) FROM STDIN") as copy:
                        for row in records:
                            copy.write_row(row)
                    columns = "record_id, grantee_type, grantee_id, granted_at"
                    with cursor.copy(f"COPY record_grants ({columns}) FROM STDIN") as copy:
                        for row in grants:
                            copy.write_row(row)
                    with cursor.copy("COPY blind_indexes (record_id, term, digest) FROM STDIN") as copy:
                        for row in indexes:
                            copy.write_row(row)
                    copy_seconds += time.perf_counter() - copy_started
                    totals["records"] += len(records)
                    totals["grants"] += len(grants)
                    totals["index"] += len(indexes)
        connection.commit()
        loaded = time.perf_counter()
        connection.autocommit = True
        for table in ("records", "record_grants", "blind_indexes"):
            connection.execute(f"VACUUM (ANALYZE) {table}")
        sizes = connection.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('records')), "
            "pg_size_pretty(pg_total_relation_size('record_grants')), "
            "pg_size_pretty(pg_total_relation_size('blind_indexes'))"
        ).fetchone()
    analysed = time.perf_counter()
    print(
        f"  loaded {totals['records']} records ({scale} suspects, {scale} leads), {totals['grants']} "
        f"grants and {totals['index']} blind-index rows in {loaded - started:.1f} s ({copy_seconds:.1f} s "
        f"of it in COPY, the rest generating, validating, sealing, indexing); "
        f"VACUUM ANALYZE {analysed - loaded:.1f} s"
    )
    if sizes:
        print(f"  sizes with indexes: records {sizes[0]}, record_grants {sizes[1]}, blind_indexes {sizes[2]}")
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
    stats: dict[str, Any] = {}
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT term, sum(n), count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), "
                "percentile_disc(0.99) WITHIN GROUP (ORDER BY n), max(n) "
                "FROM (SELECT term, digest, count(*) AS n FROM blind_indexes GROUP BY term, digest) AS per "
                "GROUP BY term ORDER BY term"
            )
        ).all()
    for term, total, values, median, p99, biggest in rows:
        stats[term] = {"rows": int(total), "values": values, "median": median, "p99": p99, "max": biggest}
        print(f"    {term:<11} {total:>9} {values:>8} {median:>7} {p99:>6} {biggest:>6}")
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


# ---------------------------------------------------------------- part 1: queries
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


# ---------------------------------------------------------------- part 1: through the full stack
@dataclass
class PhaseResult:
    shape: str
    concurrency: int
    latencies_ms: list[float]
    elapsed: float
    errors: int
    references: list[int]
    hits: list[int]
    expected: list[int]
    problem: str | None = None

    def row(self) -> dict[str, Any]:
        answered = len(self.latencies_ms)
        return {
            "queries": answered,
            "qps": round(answered / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(percentile(self.latencies_ms, 0.5), 2),
            "p95_ms": round(percentile(self.latencies_ms, 0.95), 2),
            "max_ms": round(max(self.latencies_ms), 2) if self.latencies_ms else None,
            "errors": self.errors,
            "references": round(statistics.fmean(self.references), 1) if self.references else 0.0,
            "hits": round(statistics.fmean(self.hits), 1) if self.hits else 0.0,
            "expected": round(statistics.fmean(self.expected), 1) if self.expected else 0.0,
        }


async def replay(
    server: Server, wire: list[bytes], concurrency: int, seconds: float
) -> tuple[dict[int, float], dict[int, RawResponse], float]:
    """Send the requests over `concurrency` keep-alive connections (opened before the clock starts),
    each connection one request at a time, until they run out or `seconds` pass."""
    connections = [await asyncio.open_connection(HOST, server.port) for _ in range(concurrency)]
    latencies: dict[int, float] = {}
    responses: dict[int, RawResponse] = {}
    clock = time.perf_counter
    deadline = clock() + seconds

    def indices() -> Iterator[int]:
        for index in range(len(wire)):
            if clock() >= deadline:
                return
            yield index

    shared = indices()

    async def drive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index in shared:
            sent = clock()
            writer.write(wire[index])
            responses[index] = await read_response(reader)
            latencies[index] = (clock() - sent) * 1000

    started = clock()
    tasks = [asyncio.ensure_future(drive(reader, writer)) for reader, writer in connections]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    except TimeoutError as exc:
        raise BenchError("queries still unanswered 60 s after the phase's end") from exc
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        raise BenchError(f"the server dropped a connection: {exc!r}") from exc
    finally:
        elapsed = clock() - started
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, writer in connections:
            await close_connection(writer)
    return latencies, responses, elapsed


def problem_of(codec: Codec, request: httpx.Request, raw: RawResponse) -> str:
    try:
        open_raw(codec, request, raw, "match")
    except KixProblem as exc:
        return str(exc)
    except Exception as exc:  # a diagnostic, whatever went wrong
        return f"{raw.status} {raw.body[:200]!r} ({exc})"
    return f"{raw.status} {raw.body[:200]!r}"


def http_phase(
    runner: asyncio.Runner,
    server: Server,
    codec: Codec,
    shape: Shape,
    queries: list[Query],
    concurrency: int,
    seconds: float,
) -> PhaseResult:
    built = time.monotonic()
    url = f"{server.base_url}/v1/matches"
    requests = [signed(codec, "POST", url, None, query.payload) for query in queries]
    wire = [serialise(request, request.content) for request in requests]
    latencies, responses, elapsed = runner.run(replay(server, wire, concurrency, seconds))
    if time.monotonic() - built > SIGNATURE_BUDGET_SECONDS:
        print(f"  warning: {shape.name} ran past {SIGNATURE_BUDGET_SECONDS:.0f} s from its first signature")
    result = PhaseResult(shape.name, concurrency, list(latencies.values()), elapsed, 0, [], [], [])
    for index, raw in sorted(responses.items()):  # outside the timed region: verify, decrypt, count
        if raw.status != 200:
            result.errors += 1
            result.problem = result.problem or problem_of(codec, requests[index], raw)
            continue
        data = open_raw(codec, requests[index], raw, shape.name)
        result.references.append(len(data["references"]))
        result.hits.append(len(data["hits"]))
        result.expected.append(len(queries[index].expected))
    return result


def match_latency(
    args: argparse.Namespace, runner: asyncio.Runner, server: Server, codec: Codec, shapes: list[Shape]
) -> list[PhaseResult]:
    results: list[PhaseResult] = []
    for number, shape in enumerate(shapes):
        rng = random.Random(100 + number)
        warm = [shape.make(rng, i) for i in range(10)]
        warm_up = http_phase(runner, server, codec, shape, warm, 1, 30.0)
        if warm_up.errors:
            raise BenchError(f"{shape.name}: warm-up queries failed: {warm_up.problem}")
        for concurrency in sorted({1, args.concurrency}):
            queries = [shape.make(rng, i) for i in range(args.queries)]
            result = http_phase(runner, server, codec, shape, queries, concurrency, args.seconds)
            results.append(result)
            row = result.row()
            print(
                f"  {shape.name:<30} c={concurrency}  {row['queries']:>4} q in {result.elapsed:5.1f} s  "
                f"p50 {row['p50_ms']:7.2f}  p95 {row['p95_ms']:7.2f} ms  errors {row['errors']}"
                + (f"  e.g. {result.problem}" if result.problem else "")
            )
    return results


def report_latency(results: list[PhaseResult], workers: int) -> None:
    print()
    print(
        f"POST /v1/matches through the full stack (signed + encrypted, {QUERIER}, {workers} worker(s)); "
        "latency = request written to response read; per query: references (visible), hits (discoverable), "
        "expected = records it should find that de-bka may get back"
    )
    print(
        f"  {'shape':<30} {'conc':>4} {'queries':>7} {'q/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'errors':>6}  {'refs/q':>6} {'hits/q':>6} {'expected/q':>10}"
    )
    for result in results:
        row = result.row()
        print(
            f"  {result.shape:<30} {result.concurrency:>4} {row['queries']:>7} {row['qps']:>7.1f}"
            f" {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['max_ms'] or 0:>8.2f} {row['errors']:>6}"
            f"  {row['references']:>6.1f} {row['hits']:>6.1f} {row['expected']:>10.1f}"
        )


# ---------------------------------------------------------------- part 1: in process
@dataclass
class Trace:
    statements: list[tuple[str, Any, float]] = field(default_factory=list)
    scored: int = 0
    scoring: float = 0.0
    unwrap: float = 0.0
    opening: float = 0.0
    total: float = 0.0

    def seconds(self, category: str) -> float:
        return sum(elapsed for statement, _, elapsed in self.statements if classify(statement) == category)

    def statement(self, category: str) -> tuple[str, Any]:
        for statement, parameters, _ in self.statements:
            if classify(statement) == category:
                return statement, parameters
        raise BenchError(f"run_match issued no {category} statement")


def classify(statement: str) -> str:
    sql = statement.lstrip().upper()
    if sql.startswith("INSERT"):
        return "insert"
    if "FROM MATCH_QUERIES" in sql:
        return "budget"
    if "FROM BLIND_INDEXES" in sql:
        return "candidates"
    if "RECORD_GRANTS" in sql:
        return "visible"
    if "FROM RECORDS" in sql:
        return "fetch"
    return "other"


@contextmanager
def tracing(db: Database, trace: Trace) -> Iterator[None]:
    """Time every SQL statement (cursor events) and the name scoring, its data-key unwrapping and body
    opening (wrappers patched into services.matching for the block, and restored)."""

    def before(
        conn: Any, _cursor: Any, _statement: str, _parameters: Any, _context: Any, _many: bool
    ) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        started = conn.info["bench_started"].pop()
        trace.statements.append((statement, parameters, time.perf_counter() - started))

    score_names = matching._score_names
    secrets_for = matching.secrets_for
    open_body = RecordSecrets.open_body

    def timed_score(vault: Vault, candidate: Any, names: list[Any]) -> None:
        started = time.perf_counter()
        try:
            score_names(vault, candidate, names)
        finally:
            trace.scored += 1
            trace.scoring += time.perf_counter() - started

    def timed_secrets(vault: Vault, record_id: str, wrapped: str | None) -> RecordSecrets:
        started = time.perf_counter()
        try:
            return secrets_for(vault, record_id, wrapped)
        finally:
            trace.unwrap += time.perf_counter() - started

    def timed_open(
        self: RecordSecrets,
        kind: str,
        sealed: dict[str, Any],
        *,
        version: int | None = None,
        only: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return open_body(self, kind, sealed, version=version, only=only)
        finally:
            trace.opening += time.perf_counter() - started

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        with (
            patch.object(matching, "_score_names", timed_score),
            patch.object(matching, "secrets_for", timed_secrets),
            patch.object(RecordSecrets, "open_body", timed_open),
        ):
            yield
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


@dataclass
class InProcess:
    query: Query
    cold: Trace
    warm: Trace
    found: set[str]
    references: int
    hits: int
    uncapped_rows: int
    uncapped_records: int
    candidate_rows: int
    candidate_records: int


def run_in_process(db: Database, vault: Vault, query: Query) -> InProcess:
    """run_match twice (data-key cache cleared, then warm), each rolled back; what it found (from the
    Hit rows it adds, all of them: de-bka owns no record) and how many candidate rows it had."""
    request = MatchRequest.model_validate(query.payload)
    traces: list[Trace] = []
    found: set[str] = set()
    references = hits = 0
    for cold in (True, False):
        if cold:
            vault._unwrap.cache_clear()
        trace = Trace()
        with db.sessions() as session:
            with tracing(db, trace):
                started = time.perf_counter()
                outcome = matching.run_match(session, vault, QUERIER, "bench", request, BUDGET)
                trace.total = time.perf_counter() - started
            found = {reference["record_id"] for reference in outcome.references}
            found |= set(session.scalars(select(Hit.record_id).where(Hit.query_id == outcome.query_id)))
            references, hits = len(outcome.references), len(outcome.hits)
            session.rollback()
        traces.append(trace)
    statement, parameters = traces[1].statement("candidates")
    uncapped = count_candidates(db, statement, parameters, capped=False)
    capped = count_candidates(db, statement, parameters, capped=True)
    return InProcess(query, traces[0], traces[1], found, references, hits, *uncapped, *capped)


def count_candidates(db: Database, statement: str, parameters: Any, *, capped: bool) -> tuple[int, int]:
    """Rows and distinct records of the captured candidate query, with its LIMIT or without."""
    limit = re.search(r"LIMIT %\((\w+)\)s", statement)
    values = dict(parameters)
    if limit and not capped:
        values[limit.group(1)] = 10**9
    sql = f"SELECT count(*), count(DISTINCT record_id) FROM ({statement}) AS candidates"  # noqa: S608 - captured SQL
    with db.engine.connect() as connection:
        rows, records = connection.exec_driver_sql(sql, values).one()
    return int(rows), int(records)


def in_process(db: Database, vault: Vault, shapes: list[Shape]) -> dict[str, list[InProcess]]:
    runs: dict[str, list[InProcess]] = {}
    for number, shape in enumerate(shapes):
        rng = random.Random(500 + number)
        runs[shape.name] = [run_in_process(db, vault, shape.make(rng, i)) for i in range(IN_PROCESS_SAMPLE)]
    return runs


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def report_in_process(runs: dict[str, list[InProcess]]) -> dict[str, Any]:
    print()
    print(
        f"run_match in process ({IN_PROCESS_SAMPLE} queries per shape, means): candidate rows the query "
        "matches without its LIMIT 1000 / returned; records behind them; bodies decrypted and scored; found "
        "(references + hits); recall = expected records found / expected"
    )
    print(
        f"  {'shape':<30} {'rows all':>8} {'rows':>6} {'recs':>6} {'scored':>6} {'found':>6}"
        f" {'refs':>5} {'hits':>5} {'expected':>8} {'recall':>7}"
    )
    summary: dict[str, Any] = {}
    for name, items in runs.items():
        expected = sum(len(item.query.expected) for item in items)
        got = sum(len(item.found & item.query.expected) for item in items)
        recall = got / expected if expected else float("nan")
        row = {
            "rows_uncapped": mean([item.uncapped_rows for item in items]),
            "rows": mean([item.candidate_rows for item in items]),
            "records": mean([item.candidate_records for item in items]),
            "scored": mean([item.warm.scored for item in items]),
            "found": mean([len(item.found) for item in items]),
            "references": mean([item.references for item in items]),
            "hits": mean([item.hits for item in items]),
            "expected": expected / len(items),
            "recall": round(recall, 3) if expected else None,
        }
        summary[name] = row
        print(
            f"  {name:<30} {row['rows_uncapped']:>8.0f} {row['rows']:>6.0f} {row['records']:>6.0f}"
            f" {row['scored']:>6.0f} {row['found']:>6.1f} {row['references']:>5.1f} {row['hits']:>5.1f}"
            f" {row['expected']:>8.1f} {recall:>7.2f}"
        )
    print()
    print(
        "  where the time goes, ms (warm: data keys cached by the Vault's LRU; cold: cache cleared first). "
        "SQL = cursor execute only; other = fetching and building rows, Python"
    )
    print(
        f"  {'shape':<30} {'budget':>6} {'cands':>6} {'fetch':>6} {'visibl':>6} {'insert':>6}"
        f" {'unwrap':>6} {'open':>6} {'simil':>6} {'other':>6} {'warm':>7} {'cold':>7} {'unwrap cold':>11}"
    )
    for name, items in runs.items():
        parts = {
            category: mean([item.warm.seconds(category) * 1000 for item in items])
            for category in ("budget", "candidates", "fetch", "visible", "insert", "other")
        }
        unwrap = mean([item.warm.unwrap * 1000 for item in items])
        opening = mean([item.warm.opening * 1000 for item in items])
        similarity = mean(
            [(item.warm.scoring - item.warm.unwrap - item.warm.opening) * 1000 for item in items]
        )
        warm = mean([item.warm.total * 1000 for item in items])
        cold = mean([item.cold.total * 1000 for item in items])
        cold_unwrap = mean([item.cold.unwrap * 1000 for item in items])
        rest = warm - sum(parts.values()) - unwrap - opening - similarity
        summary[name] |= {"warm_ms": round(warm, 2), "cold_ms": round(cold, 2), "sql_ms": parts}
        summary[name] |= {"unwrap_ms": round(unwrap, 2), "open_ms": round(opening, 2)}
        summary[name] |= {"similarity_ms": round(similarity, 2), "cold_unwrap_ms": round(cold_unwrap, 2)}
        print(
            f"  {name:<30} {parts['budget']:>6.2f} {parts['candidates']:>6.2f} {parts['fetch']:>6.2f}"
            f" {parts['visible']:>6.2f} {parts['insert']:>6.2f} {unwrap:>6.2f} {opening:>6.2f}"
            f" {similarity:>6.2f} {rest + parts['other']:>6.2f} {warm:>7.2f} {cold:>7.2f}"
            f" {cold_unwrap:>11.2f}"
        )
    exact = [item for items in runs.values() for item in items if item.query.exact]
    if exact:
        wanted = sum(len(item.query.exact) for item in exact)
        got = sum(len(item.found & item.query.exact) for item in exact)
        print(
            f"  mixed queries: records named by their exact document or IBAN found: {got} of {wanted} "
            f"(in {len(exact)} queries)"
        )
    planted = runs.get("name: planted, other script", [])
    if planted:
        print()
        print("  planted names, queried in the native script (one run each):")
        print(f"    {'query':<22} {'rows all':>8} {'rows':>5} {'scored':>6} {'expected':>8} {'found':>5}")
        for item in planted:
            name = item.query.payload["names"][0]
            print(
                f"    {name:<22} {item.uncapped_rows:>8} {item.candidate_rows:>5} {item.warm.scored:>6}"
                f" {len(item.query.expected):>8} {len(item.found & item.query.expected):>5}"
            )
    return summary


def shorten_arrays(line: str) -> str:
    """A plan line with long literal arrays ('{a,b,c,...}') cut to their first two elements."""

    def cut(match: re.Match[str]) -> str:
        items = match.group(1).split(",")
        if len(items) <= 3:
            return match.group(0)
        return "'{" + ",".join(items[:2]) + f",... {len(items) - 2} more}}'"

    return re.sub(r"'\{([^}]*)\}'", cut, line)


def false_positives(db: Database, vault: Vault, runs: dict[str, list[InProcess]]) -> None:
    """What queries expected to find nothing found: the stored names that scored, decrypted here."""
    examples: list[str] = []
    for items in runs.values():
        for item in items:
            if item.query.expected or not item.found or "names" not in item.query.payload:
                continue
            with db.sessions() as session:
                for record_id in sorted(item.found)[:2]:
                    record = session.get(Record, record_id)
                    if record is None:
                        continue
                    stored = [n["full_name"] for n in readable_body(record, vault).get("names") or []]
                    for query in item.query.payload["names"]:
                        score = max((name_similarity(query, name), name) for name in stored)
                        examples.append(f"{query!r} ~ {score[1]!r} ({score[0]:.3f})")
    if examples:
        print("  found by queries for names nobody has (decrypted here, best-scoring stored name):")
        for example in examples[:8]:
            print(f"    {example}")


def explain(db: Database, runs: dict[str, list[InProcess]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of run_match's own statements, captured from SQLAlchemy."""
    planted = runs["name: planted, other script"]
    chosen = max(planted, key=lambda item: item.uncapped_rows)  # the most crowded planted name
    mixed = runs["mixed: 2 names+dob+doc+IBAN"][0]
    document = runs["document"][0]
    plans = [
        (f"candidates, planted name {chosen.query.payload['names'][0]}", chosen, "candidates"),
        ("candidates, mixed query", mixed, "candidates"),
        ("candidates, document", document, "candidates"),
        (f"records fetch, planted name {chosen.query.payload['names'][0]}", chosen, "fetch"),
        (f"visibility, planted name {chosen.query.payload['names'][0]}", chosen, "visible"),
    ]
    print()
    for title, item, category in plans:
        statement, parameters = item.warm.statement(category)
        with db.engine.connect() as connection:
            plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            lines = [shorten_arrays(str(line)) for line in plan.scalars()]
        if category == "candidates" and item is chosen:
            shown = re.sub(r"%\(\w+\)s(, %\(\w+\)s)+", "%(...)s, ...", statement)
            print(f"--- SQL ({title}; bind lists shortened):\n{shown}")
        print(f"--- EXPLAIN (ANALYZE, BUFFERS): {title}")
        print("\n".join(f"  {line}" for line in lines))


# ---------------------------------------------------------------- part 1: driver
def match_part(args: argparse.Namespace, workdir: Path, runner: asyncio.Runner, cleanup: "Cleanup") -> Any:
    print(f"== part 1: match latency at scale, PostgreSQL database {MATCH_DATABASE}")
    url = create_database(args.postgres_url, MATCH_DATABASE)
    cleanup.databases.append(MATCH_DATABASE)
    env = kix_env(workdir) | {"KIX_DATABASE_URL": url}
    codec = set_up_kix(workdir, env)
    db = Database(url)
    cleanup.dbs.append(db)
    prepare_directory(db)
    vault = Vault(load_storage_keys(Path(env["KIX_KEYS_DIR"]), create=True)[0])  # the server's keys
    catalogue = bulk_load(url, args.scale, vault, random.Random(7))
    # The catalogue is a million long-lived objects: kept out of the garbage collector's full passes, which
    # would otherwise pause this process (the client, and the in-process runs) far more than the server.
    gc.collect()
    gc.freeze()
    stats = index_statistics(db, catalogue)
    env["KIX_MATCH_BUDGET_PER_HOUR"] = str(BUDGET)
    port = free_port()
    command = [*KIX_CLI, "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)]
    server = start_server("kix", command, env, port, workdir)
    cleanup.servers.append(server)
    wait_ready(server)
    print(f"  kix serve on :{port}, {args.workers} worker(s), match budget {BUDGET}/h")
    shapes = Queries(catalogue).shapes()
    results = match_latency(args, runner, server, codec, shapes)
    report_latency(results, args.workers)
    runs = in_process(db, vault, shapes)
    summary = report_in_process(runs)
    false_positives(db, vault, runs)
    explain(db, runs)
    stop_server(server)
    gc.unfreeze()
    return {
        "scale": args.scale,
        "blind_indexes": stats,
        "http": [{"shape": r.shape, "concurrency": r.concurrency} | r.row() for r in results],
        "in_process": summary,
    }


# ---------------------------------------------------------------- part 2: encryption at rest
BYPASS_KEY = bytes(32)
BYPASS_WRAPPED = "k0.bypassed"


class BypassVault(Vault):
    """This benchmark only: a Vault with the encryption layer taken out. Bodies and texts are stored as
    given, and no data key is made, wrapped or unwrapped; blind indexes are still computed (by reindex,
    with the same index key)."""

    def new_data_key(self, owner: str) -> tuple[bytes, str]:
        return BYPASS_KEY, BYPASS_WRAPPED

    def data_key(self, wrapped: str | None, owner: str) -> bytes:
        if wrapped is None:
            raise KixError(f"{owner} has been purged: its data key is destroyed", slug="gone")
        return BYPASS_KEY

    def seal(self, key: bytes, kind: str, body: dict[str, Any], *, table: str, row: str) -> dict[str, Any]:
        return dict(body)

    def open(
        self,
        key: bytes,
        kind: str,
        sealed: dict[str, Any],
        *,
        table: str,
        row: str,
        only: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        return dict(sealed)

    def seal_text(self, key: bytes, text: str, *, table: str, row: str, field: str) -> str:
        return text

    def open_text(self, key: bytes, token: str, *, table: str, row: str, field: str) -> str:
        return token


@dataclass
class ModeTimings:
    create: list[float] = field(default_factory=list)  # create_record, ms
    transaction: list[float] = field(default_factory=list)  # session, create_record and commit, ms
    get: list[float] = field(default_factory=list)  # get_visible + readable_body, data key not cached
    get_cached: list[float] = field(default_factory=list)  # the same again: data key cached


def at_rest_bodies(count: int) -> list[InputModel]:
    """Realistic suspects (part 1's generator), distributed by name to READER."""
    generator = Generator(random.Random(11))
    bodies: list[InputModel] = []
    for _ in range(count):
        raw = generator.suspect(None, None)
        raw["rules"] = _rules(generator.rng, QUERIER, OWNERS, generator.group_ids) | {
            "distribution": {"mode": "agencies", "agencies": [READER]}
        }
        bodies.append(validated(SuspectCreate, raw))
    return bodies


def at_rest_database(url: str, workdir: Path) -> Database:
    env = kix_env(workdir) | {"KIX_DATABASE_URL": url}
    migrated = subprocess.run([*KIX_CLI, "admin", "migrate"], env=env, capture_output=True, check=False)
    if migrated.returncode != 0:
        raise BenchError(f"kix admin migrate failed:\n{migrated.stderr.decode(errors='replace')}")
    db = Database(url)
    with db.transaction() as session:
        for agency in DEMO_AGENCIES:
            create_agency(session, agency)
    return db


def create_batch(db: Database, vault: Vault, bodies: list[InputModel], timings: ModeTimings) -> list[str]:
    actor = Actor(QUERIER, "bench")
    ids: list[str] = []
    clock = time.perf_counter
    for data in bodies:
        started = clock()
        with db.transaction() as session:
            called = clock()
            record = create_record(session, SUSPECTS, actor, data, vault)
            returned = clock()
        committed = clock()
        timings.create.append((returned - called) * 1000)
        timings.transaction.append((committed - started) * 1000)
        ids.append(record.id)
    return ids


def get_batch(db: Database, vault: Vault, ids: list[str], timings: ModeTimings) -> None:
    """Each record read twice in a row, each read in its own session: first with its data key not yet
    unwrapped, then with it in the Vault's cache."""
    clock = time.perf_counter
    for record_id in ids:
        for into in (timings.get, timings.get_cached):
            with db.sessions() as session:
                started = clock()
                body = readable_body(get_visible(session, SUSPECTS, READER, record_id), vault)
                into.append((clock() - started) * 1000)
            if not isinstance(body["names"], list):
                raise BenchError(f"record {record_id} read back without its names")


def check_at_rest(
    dbs: dict[str, Database], vaults: dict[str, Vault], first: dict[str, str], body: InputModel
) -> None:
    """Both modes read back what was created; only the sealed database holds ciphertext."""
    for mode, db in dbs.items():
        with db.sessions() as session:
            record = get_visible(session, SUSPECTS, READER, first[mode])
            stored_names = record.body["names"]
            if readable_body(record, vaults[mode]) != _body(body):
                raise BenchError(f"{mode}: the body read back differs from the one created")
        sealed = isinstance(stored_names, str) and stored_names.startswith("f1.")
        if sealed != (mode == "sealed"):
            raise BenchError(f"{mode}: names stored as {str(stored_names)[:40]!r}")


def at_rest_part(args: argparse.Namespace, workdir: Path, cleanup: "Cleanup") -> Any:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"== part 2: encryption at rest on create and get, in process ({backend})")
    dbs: dict[str, Database] = {}
    for mode, name in AT_REST_DATABASES.items():
        if args.postgres:
            url = create_database(args.postgres_url, name)
            cleanup.databases.append(name)
        else:
            url = f"sqlite:///{workdir / (name + '.db')}"
        dbs[mode] = at_rest_database(url, workdir)
        cleanup.dbs.append(dbs[mode])
    keys = StorageKeys.generate()
    vaults: dict[str, Vault] = {"sealed": Vault(keys), "bypassed": BypassVault(keys)}
    bodies = at_rest_bodies(args.ops)
    timings = {mode: ModeTimings() for mode in dbs}
    chunk = -(-len(bodies) // args.rounds)
    first: dict[str, str] = {}
    for round_no in range(args.rounds):
        batch = bodies[round_no * chunk : (round_no + 1) * chunk]
        order = list(dbs) if round_no % 2 == 0 else list(reversed(dbs))
        ids: dict[str, list[str]] = {}
        for mode in order:
            ids[mode] = create_batch(dbs[mode], vaults[mode], batch, timings[mode])
            first.setdefault(mode, ids[mode][0])
        for mode in order:
            get_batch(dbs[mode], vaults[mode], ids[mode], timings[mode])
    check_at_rest(dbs, vaults, first, bodies[0])
    print(
        f"  {len(bodies)} suspects per mode, {args.rounds} interleaved rounds (sealed first in odd rounds); "
        f"median per op in ms (p95); ratio = sealed / bypassed"
    )
    print(f"  {'operation':<44} {'sealed':>16} {'bypassed':>16} {'difference':>10} {'ratio':>6}")
    labels = {
        "create": "create_record",
        "transaction": "create: session + create_record + commit",
        "get": "get_visible + readable_body (1st read)",
        "get_cached": "the same again (2nd read, data key cached)",
    }
    summary: dict[str, Any] = {"backend": backend, "ops": len(bodies), "rounds": args.rounds}
    for attribute, label in labels.items():
        sealed: list[float] = getattr(timings["sealed"], attribute)
        bypassed: list[float] = getattr(timings["bypassed"], attribute)
        s50, b50 = statistics.median(sealed), statistics.median(bypassed)
        s95, b95 = percentile(sealed, 0.95), percentile(bypassed, 0.95)
        summary[attribute] = {
            "sealed_ms": round(s50, 4),
            "bypassed_ms": round(b50, 4),
            "ratio": round(s50 / b50, 3),
        }
        print(
            f"  {label:<44} {s50:>7.3f} ({s95:>6.3f}) {b50:>7.3f} ({b95:>6.3f}) {s50 - b50:>+10.3f}"
            f" {s50 / b50:>6.2f}"
        )
    return summary


# ---------------------------------------------------------------- the run
@dataclass
class Cleanup:
    admin_url: str
    servers: list[Server] = field(default_factory=list)
    dbs: list[Database] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)

    def run(self) -> None:
        for server in self.servers:
            stop_server(server)
        for db in self.dbs:
            db.dispose()
        for name in self.databases:
            drop_database(self.admin_url, name)


def create_database(admin_url: str, name: str) -> str:
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true", help="part 1, and part 2 on PostgreSQL")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server to create databases on")
    parser.add_argument(
        "--scale", type=positive_int, default=DEFAULT_SCALE, help="suspects, and leads, to load"
    )
    parser.add_argument("--queries", type=positive_int, default=300, help="at most this many queries a phase")
    parser.add_argument("--seconds", type=float, default=35.0, help="at most this long a phase (max 40)")
    parser.add_argument("--concurrency", type=positive_int, default=4, help="connections, second phase")
    parser.add_argument("--workers", type=positive_int, default=1, help="kix serve worker processes")
    parser.add_argument("--ops", type=positive_int, default=2000, help="part 2: creates and gets per mode")
    parser.add_argument("--rounds", type=positive_int, default=5, help="part 2: interleaved rounds")
    parser.add_argument("--skip-match", action="store_true", help="skip part 1")
    parser.add_argument("--skip-at-rest", action="store_true", help="skip part 2")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (logs)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 40:
        parser.error("--seconds must be in (0, 40]: signatures expire after 60 s")
    if args.rounds > args.ops:
        parser.error("--rounds must not exceed --ops")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kix-bench-match-"))
    cleanup = Cleanup(admin_url=args.postgres_url)
    failed = True
    started = time.monotonic()
    try:
        summary: dict[str, Any] = {}
        if args.postgres and not args.skip_match:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                summary["match"] = match_part(args, workdir, runner, cleanup)
            print()
        elif not args.skip_match:
            print("(part 1, match latency at scale, runs with --postgres only)")
        if not args.skip_at_rest:
            summary["at_rest"] = at_rest_part(args, workdir, cleanup)
        print(f"total {time.monotonic() - started:.0f} s")
        print(json.dumps(summary, separators=(",", ":"), default=str))
        failed = False
        return 0
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        for server in cleanup.servers:
            tail = "\n".join(line[-600:] for line in server.log_tail(12).splitlines())
            if tail:
                print(f"--- {server.name} log (last lines, cut) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        cleanup.run()
        if args.keep_temp or failed:
            print(f"temp dir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
