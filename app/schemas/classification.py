"""KIX alert categories mapped to UNODC's International Classification of Crime for Statistical Purposes
(ICCS, version 1.0, March 2015), so that a count of kidnappings means the same in every country.

Each category has one primary ICCS class to count it under, the ICCS classes the act usually also
involves (`related`), and a note saying how to apply it and where the mapping is a judgement.

Sources of the codes and labels used here (only codes confirmed from these are used):

- ICCS 1.0 (UNODC, March 2015), section 02, p. 39: 020221 Kidnapping ("unlawful detainment and taking
  away of a person ... for the purpose of demanding an illicit gain ... for their liberation, or in
  order to oblige someone to do or not to do something"; inclusions: kidnapping, express kidnapping;
  exclusions: abduction of a minor 02021, trafficking in persons 0204, illegal restraint 020222) and
  020222 Illegal restraint (detainment where the person is not transported to a different location;
  inclusions: hostage taking, false imprisonment; exclusions: detaining a person to demand an illicit
  gain for their liberation, 020221), as quoted in the glossary of the OAS Inter-American Observatory
  on Security (oas.org/IOS, entries "Kidnapping (ICCS 020221)" and "Illegal restraint (ICCS 020222)").
- ICCS 1.0, section 09, pp. 87-88: 09061 Participation in a terrorist group and 09062 Financing of
  terrorism, whose exclusions say that "a committed terrorist offence is classified to the particular
  offence; the link to terrorism ... can be identified with the situational context disaggregation"
  (same OAS glossary). 0906, their parent, is "Acts related to terrorism".
- Labels of 02, 0202, 02022, 020221, 0204, 02041, 02042, 04, 0401, 07 and 09 as published in Eurostat's
  ICCS code list (the `iccs` dimension of its crime statistics).
- The level-2 groups of section 02, among them 0202 Acts against liberty, 0204 Trafficking in persons
  and 0205 Coercion (the ICCS group that holds extortion), as reproduced in Truora's ICCS-based
  "Crime Categories" guide.

Deliberately not used: finer classes that could not be confirmed from a source (extortion's own
level-3 code under 0205, hijacking under 02022, trafficking for organ removal or other purposes).

This module is read by the SDK and the CLI without a server: it imports nothing from `app` but
`app.schemas.alerts`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.alert_categories import AlertCategory

ICCS_VERSION = "ICCS 1.0 (UNODC, March 2015)"

# ICCS levels: section (2 digits), division (4), group (5), class (6).
_LEVEL_LENGTHS = (2, 4, 5, 6)

# The part of ICCS this mapping uses, code -> label (see the sources above).
ICCS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "02": "Acts causing harm or intending to cause harm to the person",
        "0202": "Acts against liberty",
        "02021": "Abduction of a minor",
        "02022": "Deprivation of liberty",
        "020221": "Kidnapping",
        "020222": "Illegal restraint",
        "0204": "Trafficking in persons",
        "02041": "Trafficking in persons for sexual exploitation",
        "02042": "Trafficking in persons for forced labour or services",
        "0205": "Coercion",
        "04": "Acts against property involving violence or threat against a person",
        "0401": "Robbery",
        "07": "Acts involving fraud, deception or corruption",
        "09": "Acts against public safety and state security",
        "0906": "Acts related to terrorism",
        "09061": "Participation in a terrorist group",
        "09062": "Financing of terrorism",
    }
)


@dataclass(frozen=True)
class IccsClass:
    """One ICCS code at any level, with the hierarchy from its section down to it."""

    code: str  # e.g. "020221"
    label: str  # the ICCS label
    path: tuple[tuple[str, str], ...]  # (code, label) pairs, from the section down to this code

    def __post_init__(self) -> None:
        if not (self.code.isascii() and self.code.isdigit() and len(self.code) in _LEVEL_LENGTHS):
            raise ValueError(f"{self.code!r} is not an ICCS code (2, 4, 5 or 6 digits)")
        if not self.path or self.path[-1] != (self.code, self.label):
            raise ValueError(f"the path of {self.code} must end with ({self.code!r}, {self.label!r})")
        codes = [code for code, _ in self.path]
        if codes != [self.code[:length] for length in _LEVEL_LENGTHS if length <= len(self.code)]:
            raise ValueError(f"the path of {self.code} must go from its section down to it: {codes}")

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "path": [{"code": code, "label": label} for code, label in self.path],
        }


def iccs_class(code: str) -> IccsClass:
    """The ICCS class of a code this module knows, with its path (KeyError for any other code)."""
    prefixes = [code[:length] for length in _LEVEL_LENGTHS if length <= len(code)]
    return IccsClass(code, ICCS_LABELS[code], tuple((prefix, ICCS_LABELS[prefix]) for prefix in prefixes))


@dataclass(frozen=True)
class Classification:
    category: AlertCategory
    iccs: IccsClass  # the primary ICCS class for counting
    related: tuple[IccsClass, ...]  # other ICCS classes the act usually also involves
    note: str  # how to apply it, where judgement was used

    def as_json(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "iccs": self.iccs.as_json(),
            "related": [related.as_json() for related in self.related],
            "note": self.note,
        }


def _classification(
    category: AlertCategory, code: str, related: tuple[str, ...], note: str
) -> Classification:
    return Classification(
        category, iccs_class(code), tuple(iccs_class(other) for other in related), " ".join(note.split())
    )


CLASSIFICATION: Mapping[AlertCategory, Classification] = MappingProxyType(
    {
        AlertCategory.RANSOM_EXTORTION: _classification(
            AlertCategory.RANSOM_EXTORTION,
            "020221",
            ("0205", "020222"),
            """Count once under 020221 Kidnapping: its ICCS definition already covers holding a person
            to demand an illicit gain for their liberation, so the ransom demand is not counted again as
            extortion (0205 Coercion) even where national law charges it separately. It stays 020221 when
            the victim is held where they were seized: ICCS excludes detention for a ransom from 020222
            Illegal restraint.""",
        ),
        AlertCategory.EXPRESS: _classification(
            AlertCategory.EXPRESS,
            "020221",
            ("0401",),
            """ICCS names express kidnapping among the inclusions of 020221 Kidnapping. The forced cash
            withdrawals are part of the same act: count it once under 020221, including national records
            filed as aggravated robbery (0401) when the victim was held and moved.""",
        ),
        AlertCategory.VIRTUAL: _classification(
            AlertCategory.VIRTUAL,
            "0205",
            ("07",),
            """Judgement: a virtual kidnapping deprives no one of liberty, so it is not an act against
            liberty (0202). It is extortion by a faked kidnapping, a threat to harm a supposed hostage
            unless paid, counted under 0205 Coercion, the ICCS group that holds extortion. The deception
            also places it near fraud (07); prefer 0205 whenever a threat was made. If a person turns out
            to have been held, change the alert's category and count 020221.""",
        ),
        AlertCategory.TIGER: _classification(
            AlertCategory.TIGER,
            "020221",
            ("020222", "0205"),
            """Judgement: a hostage is held to force someone else (often an employee) to commit a crime,
            typically a robbery or a theft from their employer, and is released once the proceeds are
            handed over. ICCS 020221 Kidnapping covers detention "in order to oblige someone to do or not
            to do something": count 020221, even when the hostages are held at home (elsewhere often
            called hostage taking, 020222 Illegal restraint), since ICCS keeps detention for an illicit
            gain out of 020222. The crime the coerced person commits is a separate offence, counted under
            its own class.""",
        ),
        AlertCategory.POLITICAL_TERRORIST: _classification(
            AlertCategory.POLITICAL_TERRORIST,
            "020221",
            ("020222", "09061", "09062"),
            """ICCS classifies a committed terrorist offence under the offence itself and marks the link
            to terrorism with its situational-context disaggregation: count a political or terrorist
            kidnapping under 020221 Kidnapping (detention to oblige a government or others to act) and
            flag it as terrorism-related. Hostages held in place, as in a siege, are 020222 Illegal
            restraint. Membership of the group (09061) and ransoms that fund it (09062) are separate
            offences.""",
        ),
        AlertCategory.TRAFFICKING_LINKED: _classification(
            AlertCategory.TRAFFICKING_LINKED,
            "0204",
            ("02041", "02042", "020221"),
            """ICCS excludes trafficking in persons (0204) from kidnapping: when the abduction is the
            means of trafficking a person for exploitation, count 0204, and its group for the purpose once
            known (02041 sexual exploitation, 02042 forced labour or services). Judgement: when the
            victim was held for a ransom rather than for exploitation (e.g. migrants held by a smuggling
            network until their families pay), count 020221 Kidnapping instead.""",
        ),
        AlertCategory.OTHER: _classification(
            AlertCategory.OTHER,
            "0202",
            ("02021", "02022", "020222"),
            """Judgement: with no motive known, count under 0202 Acts against liberty, and under the most
            specific class once the facts are known: 02021 Abduction of a minor (taken from a parent or
            guardian), 020222 Illegal restraint (held without being moved and without a ransom), otherwise
            02022 Deprivation of liberty.""",
        ),
    }
)


def classify(category: AlertCategory | str) -> Classification:
    """The ICCS classification of a KIX alert category (its value, e.g. "virtual", or the enum)."""
    try:
        return CLASSIFICATION[AlertCategory(category)]
    except ValueError:
        known = ", ".join(member.value for member in AlertCategory)
        raise ValueError(f"{category!r} is not a KIX alert category (one of: {known})") from None


def as_json() -> list[dict[str, object]]:
    """The whole mapping as plain JSON-able dicts, in category order (for the API and `kix classify`)."""
    return [CLASSIFICATION[category].as_json() for category in AlertCategory]


class ClassificationRead(BaseModel):
    """What an alert carries of its classification: the KIX category and its primary ICCS class."""

    model_config = ConfigDict(frozen=True)

    kix_category: AlertCategory
    iccs_code: str = Field(pattern=r"^(\d{2}|\d{4}|\d{5}|\d{6})$", description="ICCS 1.0 code")
    iccs_label: str = Field(description="ICCS 1.0 label")


@lru_cache(maxsize=64)  # as many as there are categories: only a known one returns
def classification_read(category: AlertCategory | str) -> ClassificationRead:
    """A category's ClassificationRead, made once (it is frozen): every alert read carries one, and a
    page fifty."""
    return ClassificationRead.model_validate(read_of(category))


def read_of(category: AlertCategory | str) -> dict[str, str]:
    """The fields of `ClassificationRead` for a category."""
    classification = classify(category)
    read = ClassificationRead(
        kix_category=classification.category,
        iccs_code=classification.iccs.code,
        iccs_label=classification.iccs.label,
    )
    return {field: str(value) for field, value in read.model_dump(mode="json").items()}
