"""An attacker, written apart from bot/insights/suppress.py (it shares no code with it): given a published
table and the equations every reader knows (rows add up to their totals, columns to theirs, totals to the
grand total), it tries to work out hidden counts

- by linear subtraction, line by line, again and again (a line with one unknown left gives it away);
- by bounds, line by line: "<11" is 0–10, "suppressed" is 11 or more, so e.g. unknowns that must add up
  to 0 or to 10 per "<11" are all known;
- by exact linear algebra over the rationals (Gauss–Jordan): a hidden count is determined when the
  equations single it out, however many of them it takes.

The attacker is also handed every zero (the suppression guarantees the counts 1–10, and every
"suppressed" count, whatever is known about zeros). It returns the hidden counts it recovered."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

SMALL, SUPPRESSED = "<11", "suppressed"


def _lines(n: int, m: int) -> list[tuple[list[tuple[str, Any]], tuple[str, Any]]]:
    """Every equation as (parts, total): parts add up to total."""
    lines = [([("c", (i, j)) for j in range(m)], ("r", i)) for i in range(n)]
    lines += [([("c", (i, j)) for i in range(n)], ("k", j)) for j in range(m)]
    lines.append(([("r", i) for i in range(n)], ("g", 0)))
    lines.append(([("k", j) for j in range(m)], ("g", 0)))
    return lines


def published_values(view: dict[str, Any]) -> dict[tuple[str, Any], Any]:
    n, m = len(view["cells"]), len(view["cells"][0]) if view["cells"] else 0
    values: dict[tuple[str, Any], Any] = {("g", 0): view["total"]}
    for i in range(n):
        values[("r", i)] = view["row_totals"][i]
        for j in range(m):
            values[("c", (i, j))] = view["cells"][i][j]
    for j in range(m):
        values[("k", j)] = view["column_totals"][j]
    return values


def true_values(counts: list[list[int]]) -> dict[tuple[str, Any], int]:
    n, m = len(counts), len(counts[0]) if counts else 0
    values = {("g", 0): sum(map(sum, counts))}
    for i in range(n):
        values[("r", i)] = sum(counts[i])
        for j in range(m):
            values[("c", (i, j))] = counts[i][j]
    for j in range(m):
        values[("k", j)] = sum(counts[i][j] for i in range(n))
    return values


def recover(view: dict[str, Any], counts: list[list[int]]) -> dict[tuple[str, Any], int]:
    """Hidden counts (non-zero) this attacker can pin down, with the value it found."""
    n, m = len(counts), len(counts[0]) if counts else 0
    shown = published_values(view)
    truth = true_values(counts)
    known: dict[tuple[str, Any], int] = {}
    low: dict[tuple[str, Any], float] = {}
    high: dict[tuple[str, Any], float] = {}
    for key, label in shown.items():
        if isinstance(label, int):
            known[key] = label
        elif truth[key] == 0:
            known[key] = 0  # handed to the attacker
        elif label == SMALL:
            low[key], high[key] = 0, 10
        else:
            low[key], high[key] = 11, float("inf")
    found: dict[tuple[str, Any], int] = {}
    lines = _lines(n, m)

    # 1 and 2: subtraction and bounds, line by line, to a fixed point.
    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            members = [*parts, total]
            sign = {k: 1 for k in parts} | {total: -1}
            unknown = [k for k in members if k not in known]
            if not unknown:
                continue
            rest = -sum(sign[k] * known[k] for k in members if k in known)  # Σ sign·unknown = rest
            for key in unknown:
                others = [k for k in unknown if k != key]
                lo_sum = sum(sign[k] * (low[k] if sign[k] > 0 else high[k]) for k in others)
                hi_sum = sum(sign[k] * (high[k] if sign[k] > 0 else low[k]) for k in others)
                lo, hi = rest - hi_sum, rest - lo_sum  # sign[key]·x ∈ [lo, hi]
                if sign[key] < 0:
                    lo, hi = -hi, -lo
                if lo > low[key] or hi < high[key]:
                    low[key], high[key] = max(low[key], lo), min(high[key], hi)
                    changed = True
                if high[key] - low[key] < 0.5:
                    known[key] = round(low[key])
                    found[key] = known[key]
                    changed = True
                    break
            if changed:
                break

    # 3: exact linear algebra on what is still unknown.
    unknown = sorted((k for k in shown if k not in known), key=repr)
    index = {k: i for i, k in enumerate(unknown)}
    rows: list[list[Fraction]] = []
    for parts, total in lines:
        row = [Fraction(0)] * (len(unknown) + 1)
        for key, coefficient in [*((p, 1) for p in parts), (total, -1)]:
            if key in index:
                row[index[key]] += coefficient
            else:
                row[-1] -= coefficient * known[key]
        if any(row[:-1]):
            rows.append(row)
    pivot_row = 0
    pivots: list[int] = []
    for col in range(len(unknown)):
        pick = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if pick is None:
            continue
        rows[pivot_row], rows[pick] = rows[pick], rows[pivot_row]
        p = rows[pivot_row][col]
        rows[pivot_row] = [x / p for x in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivots.append(col)
        pivot_row += 1
    for r, col in enumerate(pivots):
        if all(rows[r][c] == 0 for c in range(len(unknown)) if c != col):
            found[unknown[col]] = int(rows[r][-1])
    return found


def check_view(view: dict[str, Any], counts: list[list[int]]) -> list[str]:
    """Every way this published table breaks the rule (empty when it keeps it)."""
    problems = []
    truth = true_values(counts)
    for key, label in published_values(view).items():
        if isinstance(label, int):
            if label < 11:
                problems.append(f"{key} shows {label}")
            if label != truth[key]:
                problems.append(f"{key} shows {label}, the count is {truth[key]}")
        elif label == SMALL and truth[key] >= 11:
            problems.append(f"{key} reads <11 but is {truth[key]}")
        elif label == SUPPRESSED and truth[key] < 11:
            problems.append(f"{key} reads suppressed but is under 11")
        elif label not in (SMALL, SUPPRESSED):
            problems.append(f"{key} has an unknown label {label!r}")
    for key, value in recover(view, counts).items():
        problems.append(f"{key} can be worked out: {value}")
    return problems
