"""The matcher's rules for kinds of variation one at a time, each with real names (none from the evaluation
set) and the hard negatives the rule must leave apart."""

import pytest

from app.services.matching.japanese import japanese_reading
from app.services.matching.names import POSSIBLE, STRONG, PreparedName, grade, names_match
from app.services.matching.normalize import name_key, name_skeletons, name_tokens
from app.services.matching.typos import NEIGHBOURS, is_keying_error


def strength(first: str, second: str) -> str | None:
    return grade(PreparedName.of(first), PreparedName.of(second))[0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Japanese names in kanji, read as Japanese, against romaji and katakana.
        ("山本健太", "Yamamoto Kenta"),
        ("Kenta Yamamoto", "山本健太"),
        ("小林正樹", "コバヤシ マサキ"),
        ("井上浩二", "Inoue Kōji"),
        # Particles joined to the family name on one side.
        ("Juan de la Vega", "Juan Delavega"),
        ("Pieter van der Meer", "Pieter Vandermeer"),
        ("Marco Di Lorenzo", "Marco DiLorenzo"),
        ("Yves Le Bihan", "Yves Lebihan"),
        ("Joana Dacosta", "Joana da Costa"),
        ("José del Pozo", "Jose Delpozo"),
        # Arabic script: the article of "Abd al-" written apart or together; Persian zero-width non-joiner.
        ("عبد الله النجار", "عبدالله النجار"),
        ("مهدی علی‌زاده", "مهدی علی زاده"),
        ("مهدی علی‌زاده", "مهدی علیزاده"),
        # Ukrainian and Russian forms of one given name; one name across Western languages.
        ("Євген Марченко", "Евгений Марченко"),
        ("Serhiy Melnyk", "Sergei Melnyk"),
        ("Giovanni Bianchi", "John Bianchi"),
        ("Yevhen Marchenko", "Evgeny Marchenko"),
        # Spanish: the second (mother's) family name left out.
        ("Javier Moreno Ortega", "Javier Moreno"),
        # Armenian: ու is u, initial ե is ye; Western Armenian voices the stops of Eastern.
        ("Անուշ Թումանյան", "Anush Tumanyan"),
        ("Սուրեն Ուլիխանյան", "Suren Ulikhanyan"),
        ("Armen Bedrosian", "Armen Petrosyan"),
        ("Garo Hagopian", "Garo Hakobyan"),
        # Greek μπ letter by letter.
        ("Nikos Mpoukouvalas", "Nikos Boukouvalas"),
        # Thai: final consonants as RTGS reads them, silent letters, aspirates written without h.
        ("สมพงษ์ ทองดี", "Sompong Thongdi"),
        ("อนุรักษ์ ศรีสวัสดิ์", "Anurak Sisawat"),
    ],
)
def test_variants_of_one_name_match(first: str, second: str) -> None:
    assert names_match(first, second)
    assert names_match(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Two Japanese names in kanji that read alike stay two names; another reading is another name.
        ("斎藤明美", "佐藤明美"),
        ("山本健太", "Yamada Kenta"),
        ("山本健太", "ヤマモト ケンジ"),
        # A particle joined is not a licence to drop letters of the name.
        ("Ana de la Rosa", "Ana Delgado"),
        ("Pieter van der Meer", "Pieter Vandermeulen"),
        # Abdullah is not Abd al-Ilah, Alizadeh not Valizadeh.
        ("عبد الله النجار", "عبدالاله النجار"),
        ("مهدی علی‌زاده", "مهدی ولی‌زاده"),
        # Language forms: one name, not its feminine or a different name of the same sound.
        ("Aleksandr Volkov", "Aleksandra Volkova"),
        ("Mykola Bondar", "Mykhailo Bondar"),
        ("Giovanni Bianchi", "Giovanna Bianchi"),
        # The second family name left out is not another family name.
        ("Javier Moreno Ortega", "Javier Morales"),
        ("Javier Moreno Ortega", "Javier Ortiz"),
        # Western/Eastern Armenian: voicing, not any other letter.
        ("Armen Bedrosian", "Armen Bagdasaryan"),
        ("Arsen Melkonyan", "Arsen Manukyan"),
        ("สมพงษ์ ทองดี", "Sompong Thongma"),
    ],
)
def test_different_names_stay_apart(first: str, second: str) -> None:
    assert not names_match(first, second)
    assert not names_match(second, first)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Konstantin Vorboyov", "Konstantin Vorobyov"),  # two letters swapped
        ("Valentina Cosrini", "Valentina Corsini"),  # two letters swapped
        ("Benedetta Mancibi", "Benedetta Mancini"),  # n struck as b, its neighbour
        ("Federica Gaetsno", "Federica Gaetano"),  # a struck as s
        ("Agostino Marchetri", "Agostino Marchetti"),  # t struck as r
    ],
)
def test_keying_errors_in_long_names_are_possible_hits(typed: str, meant: str) -> None:
    assert strength(typed, meant) == POSSIBLE
    assert strength(meant, typed) == POSSIBLE


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Sebastian Wagner", "Sebastian Wegner"),  # a and e are not neighbours: another name
        ("Friedrich Bauer", "Friedrich Brauer"),  # a consonant more is another name
        ("Tomasz Lewandowski", "Tomasz Lewandowska"),  # the last letter carries gender
        ("Marta Nowak", "Marta Nowka"),  # short words: one letter is another name
    ],
)
def test_one_letter_apart_is_not_a_keying_error(first: str, second: str) -> None:
    assert not names_match(first, second)


def test_keyboard_neighbours() -> None:
    assert NEIGHBOURS["S"] == frozenset("AWEDXZ")
    assert NEIGHBOURS["P"] == frozenset("OL")
    assert is_keying_error("KOVALCHHUK", "KOVALCHUK")  # struck twice
    assert not is_keying_error("STOJANOVIC", "STOJAKOVIC")  # n and k are far apart
    assert not is_keying_error("SANDRINE", "SANDRINA")  # the ending


def test_variants_are_strong_and_readings_not_exact() -> None:
    assert strength("Михайло Коваль", "Михаил Коваль") == STRONG
    assert strength("山本健太", "Yamamoto Kenta") == STRONG


def test_japanese_reading_only_for_kanji() -> None:
    assert japanese_reading("長谷部誠") == "ハセベ マコト"
    assert japanese_reading("김민준") is None
    assert japanese_reading("Hasebe Makoto") is None
    assert {"HSB", "MKT"} <= set(name_skeletons("長谷部誠"))  # found by a query in Latin letters


def test_particles_and_the_zero_width_non_joiner_keep_the_key() -> None:
    assert name_tokens("Juan de la Vega") == ["JUAN", "VEGA"]
    assert name_key("مهدی علی‌زاده") == name_key("مهدی علیزاده")
    assert name_tokens("Ղուկաս Ոսկանյան") == ["GHUKAS", "VOSKANYAN"]
