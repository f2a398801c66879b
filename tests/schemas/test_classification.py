"""The mapping of KIX alert categories to UNODC's ICCS 1.0, and `kix classify`."""

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from app.cli import classify as classify_cli
from app.schemas.alerts import AlertCategory
from app.schemas.classification import (
    CLASSIFICATION,
    ICCS_LABELS,
    ClassificationRead,
    IccsClass,
    as_json,
    classify,
    iccs_class,
    read_of,
)

ICCS_CODE = re.compile(r"^(\d{2}|\d{4}|\d{5}|\d{6})$")
LEVELS = (2, 4, 5, 6)


def every_class() -> list[IccsClass]:
    return [cls for item in CLASSIFICATION.values() for cls in (item.iccs, *item.related)]


def test_every_category_is_mapped_once() -> None:
    assert set(CLASSIFICATION) == set(AlertCategory)
    for category in AlertCategory:
        assert CLASSIFICATION[category].category is category
        assert classify(category) is CLASSIFICATION[category]
        assert classify(category.value) is CLASSIFICATION[category]
        assert CLASSIFICATION[category].note.strip()


def test_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="not a KIX alert category"):
        classify("carjacking")


@pytest.mark.parametrize("cls", every_class(), ids=lambda cls: cls.code)
def test_codes_are_well_formed_iccs_codes(cls: IccsClass) -> None:
    assert ICCS_CODE.match(cls.code)
    assert cls.label == ICCS_LABELS[cls.code]
    assert cls.path[-1] == (cls.code, cls.label)
    codes = [code for code, _ in cls.path]
    assert len(codes[0]) == 2  # starts at an ICCS section
    assert [len(code) for code in codes] == [length for length in LEVELS if length <= len(cls.code)]
    for parent, child in zip(codes, codes[1:], strict=False):
        assert child.startswith(parent)
    for code, label in cls.path:
        assert ICCS_LABELS[code] == label


def test_every_known_label_builds_a_valid_class() -> None:
    for code in ICCS_LABELS:
        assert iccs_class(code).code == code


def test_malformed_classes_are_refused() -> None:
    with pytest.raises(ValueError, match="not an ICCS code"):
        IccsClass("0202211", "Kidnapping", (("0202211", "Kidnapping"),))
    with pytest.raises(ValueError, match="must end with"):
        IccsClass("020221", "Kidnapping", (("02", "Acts causing harm"),))
    with pytest.raises(ValueError, match="from its section down"):
        IccsClass("020221", "Kidnapping", (("0202", "Acts against liberty"), ("020221", "Kidnapping")))


def test_kidnapping_anchors() -> None:
    # ICCS 1.0: 020221 Kidnapping, which names express kidnapping among its inclusions.
    for category in (
        AlertCategory.RANSOM_EXTORTION,
        AlertCategory.EXPRESS,
        AlertCategory.TIGER,
        AlertCategory.POLITICAL_TERRORIST,
    ):
        primary = CLASSIFICATION[category].iccs
        assert (primary.code, primary.label) == ("020221", "Kidnapping")
        assert [code for code, _ in primary.path] == ["02", "0202", "02022", "020221"]
        assert primary.path[1] == ("0202", "Acts against liberty")
        assert primary.path[2] == ("02022", "Deprivation of liberty")


def test_trafficking_maps_under_trafficking_in_persons() -> None:
    trafficking = CLASSIFICATION[AlertCategory.TRAFFICKING_LINKED]
    assert trafficking.iccs.code.startswith("0204")
    assert ("0204", "Trafficking in persons") in trafficking.iccs.path
    assert {"02041", "02042"} <= {related.code for related in trafficking.related}


def test_virtual_kidnapping_is_not_an_act_against_liberty() -> None:
    virtual = CLASSIFICATION[AlertCategory.VIRTUAL]
    assert not virtual.iccs.code.startswith("0202")
    assert (virtual.iccs.code, virtual.iccs.label) == ("0205", "Coercion")
    assert "Judgement" in virtual.note


def test_terrorism_is_a_related_class_not_the_count() -> None:
    political = CLASSIFICATION[AlertCategory.POLITICAL_TERRORIST]
    assert political.iccs.code == "020221"
    assert any(related.code.startswith("0906") for related in political.related)


def test_as_json_is_plain_json_in_category_order() -> None:
    data = as_json()
    assert json.loads(json.dumps(data)) == data
    assert [item["category"] for item in data] == [category.value for category in AlertCategory]
    first = data[0]
    assert first["iccs"] == {
        "code": "020221",
        "label": "Kidnapping",
        "path": [
            {"code": "02", "label": "Acts causing harm or intending to cause harm to the person"},
            {"code": "0202", "label": "Acts against liberty"},
            {"code": "02022", "label": "Deprivation of liberty"},
            {"code": "020221", "label": "Kidnapping"},
        ],
    }


@pytest.mark.parametrize("category", list(AlertCategory))
def test_read_of_matches_the_model(category: AlertCategory) -> None:
    read = read_of(category)
    assert read == {
        "kix_category": category.value,
        "iccs_code": CLASSIFICATION[category].iccs.code,
        "iccs_label": CLASSIFICATION[category].iccs.label,
    }
    assert ClassificationRead.model_validate(read).kix_category is category
    assert read_of(category.value) == read


def test_read_model_refuses_a_malformed_code() -> None:
    with pytest.raises(ValueError, match="pattern"):
        ClassificationRead(kix_category=AlertCategory.OTHER, iccs_code="020", iccs_label="Kidnapping")


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """A group, so that `classify` is a subcommand as under `kix`."""

    classify_cli.register(app)
    return app


def test_kix_classify_prints_a_table_of_every_category(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["classify"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["CATEGORY", "ICCS", "ICCS"]
    for category in AlertCategory:
        row = next(line for line in lines if line.startswith(category.value + " "))
        assert CLASSIFICATION[category].iccs.code in row.split()
        assert CLASSIFICATION[category].iccs.label in row
    assert "ICCS 1.0" in result.output


def test_kix_classify_json_matches_as_json(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["classify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == as_json()
