"""Synthetic record bodies as an agency would post them: alerts, suspects and leads (JSON-able dicts, made
into the kind's create schema by `validated`), each with its owner's sharing rules. Deterministic for a
seed.

Alerts use app.demo's vocabulary (categories, urgencies, modi operandi, names). Suspects take their names
from names.py and carry dates of birth, passports or national ids, phones and warrants. Leads carry valid
IBANs of several national formats (schwifty), bitcoin, ethereum and tron wallets, or registry references.
A few documents and IBANs recur (the same passport or account known to several agencies), so that an
exact match finds more than one record.
"""

import random
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from schwifty import IBAN

from app.demo import AGENCIES, CATEGORIES, FIRST, GROUPS, LAST, MODI, URGENCIES
from app.schemas.common import InputModel
from bench.data.names import NameMaker, Planted
from bench.harness.servers import BenchError

AGENCY_IDS = [agency[0] for agency in AGENCIES]
GROUP_IDS = [group[0] for group in GROUPS]
# Countries records are about: the demo agencies' and the two callers' (de-bka, it-dcsa).
COUNTRIES = sorted({agency[1] for agency in AGENCIES if agency[1] != "EU"} | {"DE", "IT"})
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


def validated(model: type[InputModel], raw: dict[str, Any]) -> InputModel:
    """`raw` as the API would take it (the kind's create schema); a generator bug ends the benchmark."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BenchError(f"generated {model.__name__} is invalid: {exc}") from exc


class BodyMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = NameMaker(rng)
        self.hot_documents: list[dict[str, Any]] = []
        self.hot_ibans = [self.iban() for _ in range(300)]

    def weighted(self, weights: dict[str, int]) -> str:
        choice: str = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return choice

    # ------------------------------------------------------------ sharing rules
    def distribution(self, owner: str, modes: dict[str, int], agencies: list[str]) -> dict[str, Any]:
        """A distribution drawn from `modes` (weights): 1-2 groups, or 1-4 of `agencies` besides the owner."""
        mode = self.weighted(modes)
        distribution: dict[str, Any] = {"mode": mode}
        if mode == "groups":
            distribution["groups"] = self.rng.sample(GROUP_IDS, k=self.rng.randint(1, 2))
        elif mode == "agencies":
            others = [agency for agency in agencies if agency != owner]
            distribution["agencies"] = self.rng.sample(others, k=self.rng.randint(1, 4))
        return distribution

    def rules(self, owner: str, distribution: dict[str, Any], discoverable: float = 0.8) -> dict[str, Any]:
        """The owner's rules: its case reference, a 6x6 evaluation, handling (TLP), what to do on a hit;
        discoverable with probability `discoverable`."""
        rng = self.rng
        case_ref = f"{owner.split('-')[0].upper()}-{rng.randint(2019, 2026)}-{rng.randint(1, 99999):05d}"
        return {
            "case_ref": case_ref,
            "evaluation": {"source": rng.choice("ABCDEF"), "information": rng.randint(1, 6)},
            "action_on_hit": rng.choice(
                ["contact_owner_immediately", "report_whereabouts", "discreet_check"]
            ),
            "handling": rng.choice(["GREEN", "AMBER", "AMBER+STRICT", "RED"]),
            "distribution": distribution,
            "discoverable": rng.random() < discoverable,
        }

    # ------------------------------------------------------------ alerts
    def alert(self, now: datetime, country: str, occurred: datetime | None = None) -> dict[str, Any]:
        """An alert (without rules), occurred at `occurred` or up to 700 days before `now`."""
        rng = self.rng
        if occurred is None:
            occurred = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(1, 1440))
        coordinates = {"lat": round(rng.uniform(-40, 60), 4), "lon": round(rng.uniform(-100, 120), 4)}
        return {
            "category": rng.choice(CATEGORIES),
            "urgency": rng.choice(URGENCIES),
            "occurred_at": occurred.isoformat(),
            "place": {
                "country": country,
                "locality": f"District {rng.randint(1, 40)}",
                "coordinates": coordinates,
            },
            "victim": {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "sex": rng.choice(["female", "male"]),
                "age": rng.randint(4, 80),
            },
            "ransom": {
                "amount": f"{rng.randint(5, 5000) * 1000}.00",
                "currency": rng.choice(["EUR", "USD", "MXN", "NGN"]),
                "channel": rng.choice(["cash", "crypto", "bank_transfer", "money_transfer"]),
            },
            "modus_operandi": rng.choice(MODI),
        }

    # ------------------------------------------------------------ suspects
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

    def suspect(self, planted: Planted | None = None, planted_dob: str | None = None) -> dict[str, Any]:
        """A suspect (without rules); a planted person under one of its Latin spellings, perhaps with its
        native one as an alias, born on `planted_dob` as most agencies agree."""
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

    # ------------------------------------------------------------ leads
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

    def lead(self) -> dict[str, Any]:
        """A lead (without rules): an account (one in 25 a recurring one), a wallet or a registry entry."""
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
