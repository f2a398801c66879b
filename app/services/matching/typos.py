"""Keying errors in a typed Latin name: two letters swapped (Snadrine), a neighbouring key struck
(Greenbetg), a letter dropped or struck twice. Real names are also often one letter apart (Maria / Marta,
Stojanović / Stojaković, Peres / Pires), so only slips a keyboard makes count, only inside a longer word
(the first letter is seldom mistyped, and the last carries gender and case: Ivanov / Ivanova), and only as
alike, never as the same name."""

# QWERTY rows: a key's neighbours are beside it and in the rows above and below.
_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_MIN_LENGTH = 6


def _neighbours() -> dict[str, frozenset[str]]:
    # Each row sits about half a key to the right of the one above: S touches W and E above, Z and X below.
    neighbours: dict[str, set[str]] = {}
    for row_index, row in enumerate(_ROWS):
        for column, key in enumerate(row):
            near = {row[index] for index in (column - 1, column + 1) if 0 <= index < len(row)}
            if row_index > 0:
                above = _ROWS[row_index - 1]
                near |= {above[index] for index in (column, column + 1) if index < len(above)}
            if row_index + 1 < len(_ROWS):
                below = _ROWS[row_index + 1]
                near |= {below[index] for index in (column - 1, column) if 0 <= index < len(below)}
            neighbours[key] = near
    return {key: frozenset(near) for key, near in neighbours.items()}


NEIGHBOURS = _neighbours()


def is_keying_error(typed: str, other: str) -> bool:
    """Whether one upper-case Latin word is the other with one slip of the keyboard, inside the word."""
    if (
        typed == other
        or min(len(typed), len(other)) < _MIN_LENGTH - 1
        or max(len(typed), len(other)) < _MIN_LENGTH
    ):
        return False
    if typed[0] != other[0] or typed[-1] != other[-1]:
        return False
    if len(typed) == len(other):
        differ = [index for index, (x, y) in enumerate(zip(typed, other, strict=True)) if x != y]
        if len(differ) == 1:
            x, y = typed[differ[0]], other[differ[0]]
            return y in NEIGHBOURS.get(x, frozenset())
        first, second = differ[0], differ[-1]
        return (
            len(differ) == 2
            and second == first + 1
            and typed[first] == other[second]
            and typed[second] == other[first]
        )
    shorter, longer = sorted((typed, other), key=len)
    if len(longer) - len(shorter) != 1:
        return False
    # A letter left out or struck twice: the longer word without it is the shorter. Left out, only a vowel
    # or an h (Ionnidis, Kadija): a consonant more or less is often another name (Keller / Kellner,
    # Popova / Popkova, Janowska / Jankowska).
    return any(
        longer[:index] + longer[index + 1 :] == shorter
        and (longer[index] in "AEIOUYH" or longer[index] in (longer[index - 1], longer[index + 1]))
        for index in range(1, len(longer) - 1)
    )
