"""Small-cell suppression of a published count table, with complementary suppression.

A count under the threshold, zero included, is shown as "<5" (primary suppression). A table is published
with its totals, so hiding a small cell alone protects nothing: its row total minus the other cells gives
it back. More entries are hidden, shown as "x" (complementary suppression), until none can be worked out.

The attacker modelled knows every published value; every relation the table carries (each row adds up to
its total, each column to its total, the row totals and the column totals each to the grand total); that
counts are non-negative integers; that a "<5" entry lies in [0, 4]; and that an "x" entry is at least 5,
as it would show "<5" otherwise. Those bounds matter: a row 0, 5 with total 5 shown as "<5", "x", 5 gives
away the 0, although the equations alone leave it open.

Guaranteed, for one table: a "<5" entry is not determined by that knowledge (there is another integer
table, agreeing with everything published and within those bounds, where it differs by one) unless the
labels alone give it away, so that hiding every entry would not help either. With threshold 3, in the
table 1 1 / 2 2 each column total is at least 3 from cells of at most 2, so the cells of row 0 are at least
1 each, and at most 2 together: 1 and 1. That takes small counts wedged between small upper bounds and
not-small totals; at threshold 5 it is rare (1 1 1 1 / 4 4 4 4), and such entries are left as they are.
An "x" entry is not determined by the published relations; with the bounds an attacker may tell that an
"x" is exactly 5, which discloses no small count, and ruling that out would hide much more. A total over
no cells (empty rows or columns) is 0 whatever is shown.

Not guaranteed: anything across tables. Two tables sharing a margin, a table and one of its slices, or the
same query run before and after a few cases came in can be subtracted from each other; callers publish
fixed tables from one snapshot rather than arbitrary queries.

How. Write each total with a minus sign on its line: every line then sums to zero, and the table is a
bipartite graph (one side: the rows and the line of column totals; the other: the columns and the line of
row totals) with one edge per entry. The changes to the hidden entries that keep every published relation
are exactly the circulations on hidden edges, and a circulation is a sum of cycles: an "x" can change iff
its edge lies on a cycle of hidden edges. A "<5" sitting on a bound, or an "x" at exactly 5, can move one
way only, so with the bounds its edge is an arc, and a "<5" can change iff one of its arcs lies on a
directed cycle of hidden arcs. Both tests are exact ("each line hides 0 or at least 2 entries" is only
necessary) and are graph searches rather than elimination over fractions: O(hidden * entries).

Steps: primary suppression; then the classic rule, until stable: a line with exactly one hidden entry
also hides its smallest shown entry, cells before totals; then each hidden entry that still fails its
test is given a cycle: the cheapest path of shown entries closing one through it is hidden as well
(fewest totals, then least count hidden); when there is none, hiding everything would not help either.
Hiding only adds arcs, so an entry once safe stays safe: one pass over the hidden entries is enough.
"""

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5
SMALL = f"<{THRESHOLD}"
HIDDEN = "x"

_Cost = tuple[int, int, int]  # newly hidden: totals, counts summed, entries
_Arcs = list[list[tuple[int, int]]]  # per node: (entry, node it leads to)


@dataclass(frozen=True)
class Shown:
    """One published entry: its count, or None when suppressed, and the text shown for it."""

    count: int | None
    shown: str  # str(count), SMALL ("<threshold") or HIDDEN


@dataclass(frozen=True)
class ProtectedTable:
    """A table as it may be published: every cell of rows x columns, and the totals."""

    cells: dict[tuple[str, str], Shown]
    row_totals: dict[str, Shown]  # empty when margins=False
    column_totals: dict[str, Shown]
    total: Shown


@dataclass
class _Entry:
    """A cell or total: an edge between the nodes of the two lines it is on."""

    cell: bool
    value: int
    tail: int  # node on the rows side
    head: int  # node on the columns side
    sign: int  # -1 for a row or column total: moved over to its cells, so that every line sums to 0
    primary: bool
    hidden: bool


def protect(
    counts: Mapping[tuple[str, str], int],
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    threshold: int = THRESHOLD,
    margins: bool = True,
) -> ProtectedTable:
    """The table of counts (a missing key counts 0) as it may be published, with its row totals, column
    totals and grand total; margins=False publishes one column and its total only."""
    if threshold < 2:
        raise ValueError("threshold must be at least 2: '<1' would show the count itself")
    if len(set(rows)) != len(rows) or len(set(columns)) != len(columns):
        raise ValueError("rows and columns must each be distinct")
    if not margins and len(columns) != 1:
        raise ValueError("margins=False publishes a one-column table")
    known_rows, known_columns = set(rows), set(columns)
    for (row, column), count in counts.items():
        if count < 0:
            raise ValueError(f"negative count at {(row, column)!r}")
        if count and (row not in known_rows or column not in known_columns):
            # Dropping it silently would publish totals that do not add up to the caller's data.
            raise ValueError(f"count outside the table at {(row, column)!r}")

    n, m = len(rows), len(columns)
    grid = [[counts.get((row, column), 0) for column in columns] for row in rows]
    entries: list[_Entry] = []

    def add(value: int, tail: int, head: int, sign: int = -1, cell: bool = False) -> _Entry:
        entry = _Entry(cell, value, tail, head, sign, value < threshold, value < threshold)
        entries.append(entry)
        return entry

    if margins:
        # Nodes: rows 0..n-1 and the column-totals line n; columns n+1..n+m and the row-totals line n+m+1.
        cells = {
            (r, c): add(grid[i][j], i, n + 1 + j, 1, cell=True)
            for i, r in enumerate(rows)
            for j, c in enumerate(columns)
        }
        row_totals = {r: add(sum(grid[i]), i, n + m + 1) for i, r in enumerate(rows)}
        column_totals = {c: add(sum(line[j] for line in grid), n, n + 1 + j) for j, c in enumerate(columns)}
        # The grand total closes both lines of totals from their far side, so it keeps its sign.
        total = add(sum(map(sum, grid)), n, n + m + 1, 1)
        node_count = n + m + 2
    else:
        # One line, the cells against their total, between two nodes.
        cells = {(r, columns[0]): add(grid[i][0], 0, 1, 1, cell=True) for i, r in enumerate(rows)}
        row_totals = {}
        total = add(sum(line[0] for line in grid), 0, 1)
        column_totals = {columns[0]: total}
        node_count = 2

    _classic_rule(entries, node_count)
    _close_cycles(entries, node_count, threshold)

    def shown(entry: _Entry) -> Shown:
        if entry.primary:
            return Shown(None, f"<{threshold}")
        return Shown(None, HIDDEN) if entry.hidden else Shown(entry.value, str(entry.value))

    return ProtectedTable(
        cells={key: shown(entry) for key, entry in cells.items()},
        row_totals={key: shown(entry) for key, entry in row_totals.items()},
        column_totals={key: shown(entry) for key, entry in column_totals.items()},
        total=shown(total),
    )


def _classic_rule(entries: list[_Entry], node_count: int) -> None:
    lines: list[list[_Entry]] = [[] for _ in range(node_count)]
    for entry in entries:
        lines[entry.tail].append(entry)
        lines[entry.head].append(entry)
    changed = True
    while changed:
        changed = False
        for line in lines:
            shown = [entry for entry in line if not entry.hidden]
            if len(line) - len(shown) == 1 and shown:
                # min() keeps the first of equals, so ties go to the earlier entry: deterministic.
                min(shown, key=lambda entry: (not entry.cell, entry.value)).hidden = True
                changed = True


def _moves(entry: _Entry, threshold: int, bounded: bool) -> list[tuple[int, int]]:
    """The entry's arcs: tail to head if its signed value may be one more, head to tail if one less;
    unbounded, it may be both."""
    if not bounded:
        up, down = True, True
    elif entry.primary:
        up, down = entry.value < threshold - 1, entry.value > 0
    else:
        up, down = True, entry.value > threshold
    if entry.sign < 0:
        up, down = down, up
    return [
        arc
        for arc, possible in (((entry.tail, entry.head), up), ((entry.head, entry.tail), down))
        if possible
    ]


def _arcs(entries: list[_Entry], node_count: int, threshold: int, bounded: bool, shown_too: bool) -> _Arcs:
    arcs: _Arcs = [[] for _ in range(node_count)]
    for index, entry in enumerate(entries):
        if entry.hidden or shown_too:
            for start, end in _moves(entry, threshold, bounded):
                arcs[start].append((index, end))
    return arcs


def _reaches(arcs: _Arcs, start: int, goal: int, skip: int) -> bool:
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for index, end in arcs[node]:
            if index != skip and end not in seen:
                seen.add(end)
                stack.append(end)
    return False


def _cheapest_path(
    entries: list[_Entry], arcs: _Arcs, start: int, goal: int, skip: int
) -> tuple[_Cost, list[int]] | None:
    """Dijkstra over all arcs; a hidden entry is free, a shown one costs what hiding it loses."""
    best: dict[int, _Cost] = {start: (0, 0, 0)}
    back: dict[int, tuple[int, int]] = {}  # node: (entry, node before)
    heap: list[tuple[_Cost, int]] = [((0, 0, 0), start)]
    while heap:
        cost, node = heapq.heappop(heap)
        if node == goal:
            path = []
            while node != start:
                index, node = back[node]
                path.append(index)
            return cost, path
        if cost > best[node]:
            continue
        for index, end in arcs[node]:
            if index == skip:
                continue
            entry = entries[index]
            step = (0, 0, 0) if entry.hidden else (int(not entry.cell), entry.value, 1)
            reached = (cost[0] + step[0], cost[1] + step[1], cost[2] + step[2])
            if end not in best or reached < best[end]:
                best[end], back[end] = reached, (index, node)
                heapq.heappush(heap, (reached, end))
    return None


def _close_cycles(entries: list[_Entry], node_count: int, threshold: int) -> None:
    # A small count is tested against the bounds too; an "x" against the relations only, since telling
    # that an "x" is exactly the threshold discloses no small count and would cost much more hiding.
    arcs = {bounded: _arcs(entries, node_count, threshold, bounded, False) for bounded in (True, False)}
    for index, entry in enumerate(entries):
        if not entry.hidden:
            continue
        moves = _moves(entry, threshold, entry.primary)
        if any(_reaches(arcs[entry.primary], end, start, index) for start, end in moves):
            continue
        every_arc = _arcs(entries, node_count, threshold, entry.primary, True)
        paths = [_cheapest_path(entries, every_arc, end, start, index) for start, end in moves]
        found = [path for path in paths if path is not None]
        if not found:
            continue  # exposed even with every entry hidden: the labels give it away, or no cells do
        for on_path in min(found)[1]:
            entries[on_path].hidden = True
        arcs = {bounded: _arcs(entries, node_count, threshold, bounded, False) for bounded in (True, False)}
