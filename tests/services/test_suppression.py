"""Small-cell suppression: known tables, the published values, and an attacker who solves the published
relations with linear programming (scipy) under the bounds "<5" and "x" give away. The attacker is shown
to break naive tables first, so that its failing on protected ones means something."""

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog  # type: ignore[import-untyped]

from app.services.analysis.suppression import HIDDEN, SMALL, THRESHOLD, ProtectedTable, Shown, protect

Key = tuple[str, ...]  # ("cell", row, column), ("row", row), ("column", column), ("total",)
Grid = list[list[int]]
BIG = 10**6  # an "x" has no upper bound the attacker knows of, beyond the relations


def names(grid: Grid) -> tuple[list[str], list[str]]:
    return [f"r{i}" for i in range(len(grid))], [f"c{j}" for j in range(len(grid[0]) if grid else 0)]


def as_counts(grid: Grid) -> dict[tuple[str, str], int]:
    rows, columns = names(grid)
    return {(r, c): grid[i][j] for i, r in enumerate(rows) for j, c in enumerate(columns)}


def protect_grid(grid: Grid, threshold: int = THRESHOLD, margins: bool = True) -> ProtectedTable:
    rows, columns = names(grid)
    return protect(as_counts(grid), rows, columns, threshold=threshold, margins=margins)


def texts(table: ProtectedTable, grid: Grid) -> tuple[list[list[str]], list[str], list[str], str]:
    rows, columns = names(grid)
    return (
        [[table.cells[(r, c)].shown for c in columns] for r in rows],
        [table.row_totals[r].shown for r in rows if r in table.row_totals],
        [table.column_totals[c].shown for c in columns],
        table.total.shown,
    )


def published(
    table: ProtectedTable, rows: Sequence[str], columns: Sequence[str], margins: bool
) -> dict[Key, Shown]:
    entries: dict[Key, Shown] = {("cell", r, c): table.cells[(r, c)] for r in rows for c in columns}
    entries[("total",)] = table.total
    if margins:
        entries.update({("row", r): table.row_totals[r] for r in rows})
        entries.update({("column", c): table.column_totals[c] for c in columns})
    return entries


def relations(rows: Sequence[str], columns: Sequence[str], margins: bool) -> list[tuple[list[Key], Key]]:
    """Each published line: its parts add up to its whole."""
    if not margins:
        return [([("cell", r, c) for r in rows for c in columns], ("total",))]
    lines: list[tuple[list[Key], Key]] = [([("cell", r, c) for c in columns], ("row", r)) for r in rows]
    lines += [([("cell", r, c) for r in rows], ("column", c)) for c in columns]
    lines += [([("row", r) for r in rows], ("total",)), ([("column", c) for c in columns], ("total",))]
    return lines


def system(
    table: ProtectedTable, rows: Sequence[str], columns: Sequence[str], margins: bool
) -> tuple[list[Key], list[list[float]], list[float], dict[Key, Shown]]:
    """The attacker's equations: one unknown per suppressed entry, published values moved to the right."""
    entries = published(table, rows, columns, margins)
    unknown = [key for key, entry in entries.items() if entry.count is None]
    position = {key: i for i, key in enumerate(unknown)}
    a_eq: list[list[float]] = []
    b_eq: list[float] = []
    for parts, whole in relations(rows, columns, margins):
        line = [0.0] * len(unknown)
        rhs = 0.0
        for key, sign in [(part, 1) for part in parts] + [(whole, -1)]:
            if key in position:
                line[position[key]] += sign
            else:
                rhs -= sign * (entries[key].count or 0)
        if any(line):
            a_eq.append(line)
            b_eq.append(rhs)
        else:
            assert rhs == 0, "the published values themselves do not add up"
    return unknown, a_eq, b_eq, entries


def attack(
    table: ProtectedTable, rows: Sequence[str], columns: Sequence[str], threshold: int, margins: bool = True
) -> dict[Key, tuple[float, float]]:
    """The least and greatest value each "<threshold" entry can take, given everything published."""
    unknown, a_eq, b_eq, entries = system(table, rows, columns, margins)
    small = [entries[key].shown == f"<{threshold}" for key in unknown]
    bounds = [(0, threshold - 1) if is_small else (threshold, BIG) for is_small in small]
    ranges = {}
    for i, key in enumerate(unknown):
        if not small[i]:
            continue
        extremes = []
        for direction in (1.0, -1.0):
            objective = [0.0] * len(unknown)
            objective[i] = direction
            result = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds, method="highs")
            assert result.status == 0, result.message  # the true table is always a solution
            extremes.append(direction * result.fun)
        ranges[key] = (extremes[0], extremes[1])
    return ranges


def determined_by_relations(
    table: ProtectedTable, rows: Sequence[str], columns: Sequence[str], margins: bool = True
) -> set[Key]:
    """The suppressed entries the equations alone pin down: their unit vector is in the row space."""
    unknown, a_eq, _, _ = system(table, rows, columns, margins)
    matrix = np.array(a_eq, dtype=float).reshape(len(a_eq), len(unknown))
    rank = np.linalg.matrix_rank(matrix) if a_eq else 0
    found = set()
    for i, key in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(key)
    return found


def naive(grid: Grid, hidden: set[Key], threshold: int = THRESHOLD) -> ProtectedTable:
    """A table with small counts shown "<5" and the given entries "x", and nothing else hidden."""
    rows, columns = names(grid)

    def show(key: Key, count: int) -> Shown:
        if count < threshold:
            return Shown(None, f"<{threshold}")
        return Shown(None, HIDDEN) if key in hidden else Shown(count, str(count))

    return ProtectedTable(
        cells={
            (r, c): show(("cell", r, c), grid[i][j])
            for i, r in enumerate(rows)
            for j, c in enumerate(columns)
        },
        row_totals={r: show(("row", r), sum(grid[i])) for i, r in enumerate(rows)},
        column_totals={c: show(("column", c), sum(line[j] for line in grid)) for j, c in enumerate(columns)},
        total=show(("total",), sum(map(sum, grid))),
    )


# Two draws in three are near the threshold, where suppression patterns get tight.
count = st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(0, 30))


@st.composite
def grids(draw: st.DrawFn, max_rows: int = 6, max_columns: int = 6) -> Grid:
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_columns))
    return draw(st.lists(st.lists(count, min_size=m, max_size=m), min_size=n, max_size=n))


# Known tables


def test_a_table_without_small_counts_is_published_whole() -> None:
    table = protect_grid([[10, 20], [30, 40]])
    assert texts(table, [[0, 0], [0, 0]]) == ([["10", "20"], ["30", "40"]], ["30", "70"], ["40", "60"], "100")
    assert table.total == Shown(100, "100")


def test_one_small_cell_hides_a_rectangle_and_keeps_the_margins() -> None:
    grid = [[3, 10], [8, 20]]
    assert texts(protect_grid(grid), grid) == (
        [[SMALL, HIDDEN], [HIDDEN, HIDDEN]],
        ["13", "28"],
        ["11", "30"],
        "41",
    )


def test_a_zero_next_to_counts_of_exactly_the_threshold_needs_totals_hidden_too() -> None:
    # With only the four cells hidden, row 0 reads "<5" + "x" = 5 and an "x" is at least 5: the 0 is out.
    grid = [[0, 5], [5, 5]]
    assert texts(protect_grid(grid), grid) == (
        [[SMALL, HIDDEN], [HIDDEN, HIDDEN]],
        [HIDDEN, "10"],
        [HIDDEN, "10"],
        HIDDEN,
    )


def test_a_table_of_small_counts_is_all_small() -> None:
    grid = [[1, 2], [0, 1]]
    assert texts(protect_grid(grid), grid) == (
        [[SMALL, SMALL], [SMALL, SMALL]],
        [SMALL, SMALL],
        [SMALL, SMALL],
        SMALL,
    )
    assert protect_grid([[0, 0, 0]]).total == Shown(None, SMALL)


def test_the_threshold_sets_what_is_small() -> None:
    grid = [[3, 10], [8, 20]]
    assert texts(protect_grid(grid, threshold=10), grid) == (
        [["<10", "x"], ["<10", "x"]],
        ["13", "28"],
        ["11", "30"],
        "41",
    )
    assert texts(protect_grid(grid, threshold=2), grid)[0] == [["3", "10"], ["8", "20"]]


def test_it_is_deterministic_whatever_the_order_of_the_counts() -> None:
    grid = [[3, 7, 7, 12], [7, 7, 2, 9], [12, 9, 9, 1]]
    rows, columns = names(grid)
    forward = protect(as_counts(grid), rows, columns)
    backward = protect(dict(reversed(as_counts(grid).items())), rows, columns)
    assert forward == backward == protect_grid(grid)


# Published values


@settings(max_examples=150, deadline=None)
@given(grids(), st.sampled_from([THRESHOLD, 3, 10]), st.booleans())
def test_small_counts_show_small_and_nothing_published_is_wrong(
    grid: Grid, threshold: int, margins: bool
) -> None:
    if not margins:
        grid = [line[:1] for line in grid]
    table = protect_grid(grid, threshold, margins)
    rows, columns = names(grid)
    truth: dict[Key, int] = {
        ("cell", r, c): grid[i][j] for i, r in enumerate(rows) for j, c in enumerate(columns)
    }
    truth[("total",)] = sum(map(sum, grid))
    if margins:
        truth.update({("row", r): sum(grid[i]) for i, r in enumerate(rows)})
        truth.update({("column", c): sum(line[j] for line in grid) for j, c in enumerate(columns)})
    else:
        assert table.row_totals == {}
        assert table.column_totals == {columns[0]: table.total}
    entries = published(table, rows, columns, margins)
    assert set(entries) == set(truth)
    for key, entry in entries.items():
        if truth[key] < threshold:
            assert entry == Shown(None, f"<{threshold}")
        elif entry.count is None:
            assert entry.shown == HIDDEN
        else:
            assert entry == Shown(truth[key], str(truth[key]))


# The attacker


def test_the_attacker_reads_a_small_cell_off_a_table_with_only_primary_suppression() -> None:
    grid = [[3, 10], [8, 20]]
    rows, columns = names(grid)
    ranges = attack(naive(grid, set()), rows, columns, THRESHOLD)
    assert list(ranges) == [("cell", "r0", "c0")]
    assert ranges[("cell", "r0", "c0")] == pytest.approx((3, 3))


def test_the_attacker_uses_the_bounds_where_the_equations_leave_a_zero_open() -> None:
    # The classic rule alone (each line hides 0 or at least 2 entries) hides exactly the four cells here.
    grid = [[0, 5], [5, 5]]
    rows, columns = names(grid)
    table = naive(grid, {("cell", "r0", "c1"), ("cell", "r1", "c0"), ("cell", "r1", "c1")})
    assert determined_by_relations(table, rows, columns) == set()
    assert attack(table, rows, columns, THRESHOLD)[("cell", "r0", "c0")] == pytest.approx((0, 0))


def test_some_tables_are_given_away_by_their_labels_alone() -> None:
    # Columns of 5 or more from "<5" cells put each cell of row 0 at 1 or more, and row 0 is under 5.
    grid = [[1, 1, 1, 1], [4, 4, 4, 4]]
    rows, columns = names(grid)
    everything = naive(grid, set(published(protect_grid(grid), rows, columns, True)))
    assert attack(everything, rows, columns, THRESHOLD)[("cell", "r0", "c0")] == pytest.approx((1, 1))
    assert attack(protect_grid(grid), rows, columns, THRESHOLD)[("cell", "r0", "c0")] == pytest.approx((1, 1))


@settings(max_examples=120, deadline=None)
@given(grids(), st.sampled_from([THRESHOLD, 3, 10]))
def test_no_small_count_can_be_worked_out_of_a_protected_table(grid: Grid, threshold: int) -> None:
    table = protect_grid(grid, threshold)
    rows, columns = names(grid)
    everything = naive(grid, set(published(table, rows, columns, True)), threshold)
    for key, (least, greatest) in attack(table, rows, columns, threshold).items():
        # An integer table one apart exists, so the spread is a whole count, not a rounding artefact.
        if greatest - least < 1 - 1e-6:
            least, greatest = attack(everything, rows, columns, threshold)[key]
            assert greatest - least < 1e-6, f"{key} pinned at {least}, though hiding more would save it"
    assert determined_by_relations(table, rows, columns) == set()


# One-dimensional tables


def test_a_column_without_margins_hides_what_would_give_the_zero_away() -> None:
    # With the 20 shown, "<5" + "x" = 5 and an "x" is at least 5: the 0 would be out.
    table = protect_grid([[0], [5], [20]], margins=False)
    assert texts(table, [[0], [5], [20]]) == ([[SMALL], [HIDDEN], [HIDDEN]], [], ["25"], "25")
    assert protect_grid([[3], [10], [12]], margins=False).cells == {
        ("r0", "c0"): Shown(None, SMALL),
        ("r1", "c0"): Shown(None, HIDDEN),
        ("r2", "c0"): Shown(12, "12"),
    }


def test_a_single_row_without_margins_is_the_total() -> None:
    small = protect_grid([[3]], margins=False)
    assert (small.cells, small.row_totals, small.column_totals, small.total) == (
        {("r0", "c0"): Shown(None, SMALL)},
        {},
        {"c0": Shown(None, SMALL)},
        Shown(None, SMALL),
    )
    assert protect_grid([[7]], margins=False).total == Shown(7, "7")


@settings(max_examples=100, deadline=None)
@given(st.lists(count, min_size=1, max_size=10))
def test_no_small_count_can_be_worked_out_of_a_column(values: list[int]) -> None:
    grid = [[value] for value in values]
    table = protect_grid(grid, margins=False)
    rows, columns = names(grid)
    for key, (least, greatest) in attack(table, rows, columns, THRESHOLD, margins=False).items():
        assert greatest - least >= 1 - 1e-6, (key, least, greatest)
    assert determined_by_relations(table, rows, columns, margins=False) == set()


# Edges


def test_single_rows_and_single_columns_with_margins() -> None:
    # A lone line equals its margin: "<5" and "x" there cancel out against the shown 12 and 25.
    assert texts(protect_grid([[3, 10, 12]]), [[0, 0, 0]]) == (
        [[SMALL, HIDDEN, "12"]],
        ["25"],
        [SMALL, HIDDEN, "12"],
        "25",
    )
    assert texts(protect_grid([[3], [10], [12]]), [[0], [0], [0]]) == (
        [[SMALL], [HIDDEN], ["12"]],
        [SMALL, HIDDEN, "12"],
        ["25"],
        "25",
    )


def test_a_zero_outside_the_table_is_no_count() -> None:
    assert protect({("z", "b"): 0, ("a", "b"): 7}, ["a"], ["b"]).total == Shown(7, "7")


def test_empty_tables_show_an_empty_total() -> None:
    for rows, columns in (([], []), (["a"], []), ([], ["b"])):
        table = protect({}, rows, columns)
        assert table.cells == {}
        assert table.total == Shown(None, SMALL)
        assert set(table.row_totals) == set(rows)
        assert set(table.column_totals) == set(columns)
    assert protect({}, [], ["b"], margins=False).total == Shown(None, SMALL)


@pytest.mark.parametrize(
    ("counts", "rows", "columns", "options", "message"),
    [
        ({("a", "b"): -1}, ["a"], ["b"], {}, "negative"),
        ({("z", "b"): 1}, ["a"], ["b"], {}, "outside"),
        ({}, ["a", "a"], ["b"], {}, "distinct"),
        ({}, ["a"], ["b", "c"], {"margins": False}, "one-column"),
        ({}, ["a"], ["b"], {"threshold": 1}, "at least 2"),
    ],
)
def test_bad_input_is_refused(
    counts: dict[tuple[str, str], int],
    rows: list[str],
    columns: list[str],
    options: dict[str, int],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        protect(counts, rows, columns, **options)  # type: ignore[arg-type]
