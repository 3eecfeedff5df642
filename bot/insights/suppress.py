"""Small-cell suppression for a two-way table with its row, column and grand totals.

The rule, for every view and every export: a count under 11 — a cell or a total — is never shown; it reads
"<11" ("small"). Then complementary suppression: more cells (or, when nothing else helps, totals) are hidden
— they read "suppressed" — until no hidden count can be worked out from what is shown.

What an attacker is assumed to know: every shown number; that a "<11" is 0–10 and a "suppressed" is 11 or
more; that each row adds up to its row total, each column to its column total, and the totals to the grand
total. Two ways of working a hidden count out are checked, and suppression goes on until neither works:

- exactly, by linear algebra: the table with its totals is a graph (a row node and a column node per cell,
  two hub nodes for the totals; each number is an edge, each node an "adds up" equation). A hidden number
  is determined by the equations exactly when its edge is a bridge of the graph of hidden edges — the
  textbook "lone cell in a row" case, and every longer chain of subtractions;
- by bounds: a "<11" is 0–10, so e.g. two hidden cells that must add up to 0, or to 20, are both known.
  Interval propagation through the equations finds every such pinned number.

Zeros read "<11" like any small count, but they are not protected: a zero describes nobody, and protecting
zeros would hide nearly every number of a sparse table (58 counties × 10 needs) — the rows of a busy county
would have to hide large counts just so its empty cells could not be told apart from a 1. The attacker is
therefore assumed to know every zero, which makes the guarantee for the counts 1–10 (and for the
"suppressed" counts) hold however the zeros are found out.

Hiding a number only ever takes information away, so hiding more (as the report does to keep totals that
appear in several tables consistent) never undoes this.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

THRESHOLD = 11
SHOWN, SMALL, SUPPRESSED = "shown", "small", "suppressed"
SMALL_LABEL, SUPPRESSED_LABEL = "<11", "suppressed"
INF = float("inf")

# A variable: ("cell", i, j) | ("row", i) | ("col", j) | ("all",)
Var = tuple


@dataclass
class Suppressed:
    """A table as it may be published: the true counts stay inside; `label` gives what is shown."""

    rows: list[str]
    columns: list[str]
    counts: list[list[int]]
    status: dict[Var, str] = field(default_factory=dict)

    def value(self, var: Var) -> int:
        kind = var[0]
        if kind == "cell":
            return self.counts[var[1]][var[2]]
        if kind == "row":
            return sum(self.counts[var[1]])
        if kind == "col":
            return sum(r[var[1]] for r in self.counts)
        return sum(sum(r) for r in self.counts)

    def shown(self, var: Var) -> int | None:
        return self.value(var) if self.status.get(var, SHOWN) == SHOWN else None

    def label(self, var: Var) -> int | str:
        state = self.status.get(var, SHOWN)
        if state == SHOWN:
            return self.value(var)
        return SMALL_LABEL if state == SMALL else SUPPRESSED_LABEL

    def hide(self, var: Var) -> None:
        """Hide one more number (never un-hides): small if under the threshold, else suppressed."""
        if self.status.get(var, SHOWN) == SHOWN:
            self.status[var] = SMALL if self.value(var) < THRESHOLD else SUPPRESSED

    def variables(self) -> list[Var]:
        n, m = len(self.rows), len(self.columns)
        return ([("cell", i, j) for i in range(n) for j in range(m)] + [("row", i) for i in range(n)]
                + [("col", j) for j in range(m)] + [("all",)])

    def hidden(self) -> list[Var]:
        return [v for v in self.variables() if self.status.get(v, SHOWN) != SHOWN]

    def unknown(self) -> list[Var]:
        """What the attacker does not know: the hidden numbers other than zeros (see the module's notes)."""
        return [v for v in self.hidden() if self.value(v) != 0]


# ------------------------------------------------------------------------------------------ the graph
def _ends(var: Var) -> tuple[tuple, tuple]:
    kind = var[0]
    if kind == "cell":
        return ("r", var[1]), ("c", var[2])
    if kind == "row":
        return ("r", var[1]), ("R",)
    if kind == "col":
        return ("c", var[1]), ("C",)
    return ("R",), ("C",)


def _coefficient(var: Var, node: tuple) -> int:
    """The node's equation: a row's cells minus its total is 0; the row totals minus the grand total is 0;
    likewise for columns."""
    kind = var[0]
    if kind == "cell":
        return 1
    if kind in ("row", "col"):
        return -1 if node[0] in ("r", "c") else 1
    return -1


def _equations(table: Suppressed) -> dict[tuple, list[Var]]:
    nodes: dict[tuple, list[Var]] = defaultdict(list)
    for var in table.variables():
        for node in _ends(var):
            nodes[node].append(var)
    return nodes


def bridges(edges: Sequence[Var]) -> set[Var]:
    """Edges whose removal disconnects the graph they form (iterative Tarjan, parallel edges kept apart)."""
    adjacency: dict[tuple, list[tuple[tuple, int]]] = defaultdict(list)
    for index, edge in enumerate(edges):
        a, b = _ends(edge)
        adjacency[a].append((b, index))
        adjacency[b].append((a, index))
    order: dict[tuple, int] = {}
    low: dict[tuple, int] = {}
    found: set[Var] = set()
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[tuple, int, int]] = [(root, -1, 0)]  # node, edge index it was reached by, next child
        while stack:
            node, via, child = stack[-1]
            if child < len(adjacency[node]):
                stack[-1] = (node, via, child + 1)
                neighbour, index = adjacency[node][child]
                if index == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, index, 0))
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(edges[via])
    return found


def _bounds(table: Suppressed, equations: dict[tuple, list[Var]]) -> dict[Var, tuple[float, float]]:
    """Interval propagation: what each hidden number can be, given the shown ones and the equations."""
    box: dict[Var, tuple[float, float]] = {}
    for var in table.unknown():
        box[var] = (0.0, THRESHOLD - 1.0) if table.status[var] == SMALL else (float(THRESHOLD), INF)
    for _ in range(200):
        changed = False
        for node, members in equations.items():
            unknown = [v for v in members if v in box]
            if not unknown:
                continue
            constant = sum(_coefficient(v, node) * table.value(v) for v in members if v not in box)
            for var in unknown:
                # coef·x = −constant − Σ others coef·y
                low, high = -constant, -constant
                for other in unknown:
                    if other is var:
                        continue
                    c = _coefficient(other, node)
                    lo, hi = box[other]
                    low -= c * (hi if c > 0 else lo)
                    high -= c * (lo if c > 0 else hi)
                c = _coefficient(var, node)
                if c < 0:
                    low, high = -high, -low
                old_low, old_high = box[var]
                new = (max(old_low, low), min(old_high, high))
                if new[0] > old_low + 1e-9 or new[1] < old_high - 1e-9:
                    box[var] = new
                    changed = True
        if not changed:
            break
    return box


def exposed(table: Suppressed) -> set[Var]:
    """Hidden numbers (zeros aside) that can be worked out exactly from what is shown and from the zeros."""
    found = bridges(table.unknown())
    for var, (low, high) in _bounds(table, _equations(table)).items():
        if high - low < 0.5:
            found.add(var)
    return found


# ------------------------------------------------------------------------------------ the suppression
def suppress(rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]]) -> Suppressed:
    table = Suppressed(list(rows), list(columns), [list(map(int, r)) for r in counts])
    for var in table.variables():
        if table.value(var) < THRESHOLD:
            table.hide(var)
    protect(table)
    return table


def protect(table: Suppressed) -> Suppressed:
    """Complementary suppression to a fixed point. A hidden number that is a bridge gets a loop: the cheapest
    path of shown numbers (cells before totals, small before large) joining its two ends is hidden too. A
    number pinned by bounds gets the smallest shown number next to it hidden."""
    equations = _equations(table)
    for _ in range(len(table.variables()) + 1):
        leaks = sorted(exposed(table), key=_order)
        if not leaks:
            return table
        unknown = set(table.unknown())
        path = None
        for leak in leaks:
            if leak in bridges(list(unknown)):
                path = _cheapest_loop(table, leak, unknown)
                if path:
                    break
        if path:
            for var in path:
                table.hide(var)
            continue
        leak = leaks[0]
        candidates = [v for node in _ends(leak) for v in equations[node] if table.status.get(v, SHOWN) == SHOWN]
        if not candidates:
            candidates = [v for v in table.variables() if table.status.get(v, SHOWN) == SHOWN]
        if not candidates:
            return table
        table.hide(min(candidates, key=lambda v: (_cost(table, v), _order(v))))
    return table


def _cost(table: Suppressed, var: Var) -> float:
    # Hiding a total costs more than any cell: totals are what a reader uses most.
    return table.value(var) + (0 if var[0] == "cell" else 1_000_000)


def _cheapest_loop(table: Suppressed, bridge: Var, unknown: set[Var]) -> list[Var]:
    """The shown numbers to hide so that `bridge` lies on a loop: Dijkstra between its two ends, where
    hidden numbers cost nothing, shown ones their cost, and known zeros cannot be used."""
    import heapq

    adjacency: dict[tuple, list[tuple[tuple, Var]]] = defaultdict(list)
    for var in table.variables():
        if var == bridge or (table.status.get(var, SHOWN) != SHOWN and var not in unknown):
            continue
        a, b = _ends(var)
        adjacency[a].append((b, var))
        adjacency[b].append((a, var))
    start, goal = _ends(bridge)
    best: dict[tuple, float] = {start: 0.0}
    came: dict[tuple, tuple[tuple, Var]] = {}
    queue: list[tuple[float, int, tuple]] = [(0.0, 0, start)]
    tick = 0
    while queue:
        cost, _, node = heapq.heappop(queue)
        if node == goal:
            break
        if cost > best.get(node, INF):
            continue
        for neighbour, var in adjacency[node]:
            step = 0.0 if var in unknown else _cost(table, var) + 1
            if cost + step < best.get(neighbour, INF):
                best[neighbour] = cost + step
                came[neighbour] = (node, var)
                tick += 1
                heapq.heappush(queue, (cost + step, tick, neighbour))
    if goal not in came:
        return []
    path, node = [], goal
    while node != start:
        node, var = came[node]
        if var not in unknown:
            path.append(var)
    return path


def _order(var: Var) -> tuple:
    return ({"cell": 0, "row": 1, "col": 2, "all": 3}[var[0]], *var[1:])
