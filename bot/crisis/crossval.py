"""k-fold cross-validation of rules + model on eval_en.tsv: `python -m bot.crisis.evaluate --cv`.

The rules are the same in every fold (they are hand-written; note they were tuned on the old rows, so
their recall there is in-sample; the `v5` batch was written after them in other styles and never tuned
into them, so it is the honest part). The model is trained on k-1 folds and scores the held-out fold.
Every threshold is then scored on the out-of-fold probabilities. The urgent threshold chosen is the lowest
(most recall) whose false alarms stay within MAX_TRAFFIC_ALARM of ordinary navigator messages (the
assistant's own NLU examples, split `traffic`) and MAX_LABELED_FPR of the labeled negatives. The concern
threshold is the lowest one (<= the urgent one) at which no more than MAX_TRAFFIC_CHECK_IN of navigator
traffic gets a check-in or more. The v5 batch is reported next to it.

Folds are stratified by crisis/non-crisis and assigned from a hash of the text: deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.crisis.detector import CrisisDetector, RuleReading, combine
from bot.crisis.evaluate import TRAIN_SPLITS, Row, label
from bot.crisis.statmodel import DEFAULT_C, model_features, train_model
from bot.crisis.verdict import CATEGORIES, CrisisVerdict

FOLDS = 5
TARGET_RECALL = 0.98
MAX_TRAFFIC_ALARM = 0.02
MAX_LABELED_FPR = 0.10  # labeled negatives are hard on purpose (idioms, concern rows); a missed crisis is worse
# A check-in is gentle but not free: at most this share of non-crisis messages gets one (or more).
MAX_CHECK_IN_RATE = 0.25  # the older bound, on `none` rows of the labeled set (still reported)
MAX_TRAFFIC_CHECK_IN = 0.05
FRESH_BATCH = "v7"
GRID = tuple(round(0.05 + 0.01 * i, 2) for i in range(91))  # 0.05 .. 0.95


def fold_of(rows: Sequence[Row], k: int = FOLDS) -> list[int]:
    folds = [0] * len(rows)
    for crisis in (True, False):
        members = [i for i, r in enumerate(rows) if r.is_crisis == crisis]
        members.sort(key=lambda i: hashlib.sha256(rows[i].text.encode()).hexdigest())
        for rank, i in enumerate(members):
            folds[i] = rank % k
    return folds


# Rows every fold's model also learns from and that are never scored: the other language's training rows,
# read by that language's rules, when a bilingual model is compared with a per-language one (`--bilingual`).
Extra = tuple[list[str], list[tuple[str, ...]], list[tuple[str, ...]]]


def out_of_fold(
    rows: Sequence[Row], readings: Sequence[RuleReading], c: float = DEFAULT_C, k: int = FOLDS,
    also_train: Extra | None = None,
) -> list[dict[str, float]]:
    """Per row, the probabilities of a model that never saw it."""
    folds = fold_of(rows, k)
    result: list[dict[str, float]] = [{} for _ in rows]
    more_texts, more_labels, more_extras = also_train or ([], [], [])
    for fold in range(k):
        train = [i for i in range(len(rows)) if folds[i] != fold]
        model = train_model([readings[i].text for i in train] + more_texts,
                            [label(rows[i]) for i in train] + more_labels, c=c,
                            extras=[readings[i].extras for i in train] + more_extras)
        for i in range(len(rows)):
            if folds[i] == fold:
                result[i] = model.probabilities(model_features(readings[i].text, readings[i].extras))
    return result


@dataclass(frozen=True, slots=True)
class Score:
    recall: float
    fpr: float
    positives: int
    negatives: int
    per_category: dict[str, tuple[int, int]]
    checked_in: float  # crisis rows given at least a check-in
    negatives_checked_in: float  # rows labeled `none` given at least a check-in


def score(rows: Sequence[Row], verdicts: Sequence[CrisisVerdict]) -> Score:
    positives = [(r, v) for r, v in zip(rows, verdicts, strict=True) if r.is_crisis]
    negatives = [(r, v) for r, v in zip(rows, verdicts, strict=True) if not r.is_crisis]
    per_category = {}
    for category in CATEGORIES:
        with_it = [(r, v) for r, v in positives if category in r.categories]
        per_category[category] = (sum(v.is_crisis and category in v.categories for _, v in with_it), len(with_it))
    return Score(
        recall=sum(v.is_crisis for _, v in positives) / max(len(positives), 1),
        fpr=sum(v.is_crisis for _, v in negatives) / max(len(negatives), 1),
        positives=len(positives), negatives=len(negatives), per_category=per_category,
        checked_in=sum(v.level != "none" for _, v in positives) / max(len(positives), 1),
        negatives_checked_in=sum(v.level != "none" for r, v in negatives if r.level == "none")
        / max(sum(r.level == "none" for r, _ in negatives), 1),
    )


def crisis_flags(
    readings: Sequence[RuleReading], probabilities: Sequence[dict[str, float]],
) -> Callable[[float, float], np.ndarray]:
    """flags(urgent, guarded): which rows `combine` would call urgent or imminent at these thresholds
    (vectorized: the sweep visits every pair of the grid)."""
    rule = np.array([x.verdict.is_crisis for x in readings])
    ceiling = np.array([x.model_ceiling for x in readings])
    p = np.array([q.get("crisis", 0.0) if q else 0.0 for q in probabilities])
    free, guarded_rows = ceiling == "urgent", ceiling == "guarded"
    return lambda urgent, guarded: rule | (free & (p >= urgent)) | (guarded_rows & (p >= guarded))


@dataclass(frozen=True, slots=True)
class Point:
    urgent: float
    guarded: float
    recall: float  # labeled crisis rows
    fpr: float  # labeled none/concern rows
    traffic: float  # ordinary navigator messages called a crisis


def sweep(
    rows: Sequence[Row], readings: Sequence[RuleReading], probabilities: Sequence[dict[str, float]],
) -> list[Point]:
    """Every (urgent, guarded >= urgent) pair of the grid, scored on the out-of-fold probabilities."""
    crisis = np.array([r.is_crisis for r in rows])
    traffic = np.array([r.split == "traffic" for r in rows])
    labeled = ~traffic
    flags_at = crisis_flags(readings, probabilities)
    out = []
    for u in GRID:
        for g in (*[x for x in GRID if x >= u and round(x * 100) % 5 == 0], 1.01):
            flags = flags_at(u, g)
            out.append(Point(u, g, float(flags[labeled & crisis].mean()), float(flags[labeled & ~crisis].mean()),
                             float(flags[traffic].mean()) if traffic.any() else 0.0))
    return out


def choose(table: Sequence[Point]) -> Point | None:
    """The pair with the most recall whose false alarms stay within bounds: at most MAX_TRAFFIC_ALARM of
    ordinary navigator messages and MAX_LABELED_FPR of the labeled negatives get the crisis protocol (ties:
    fewer false alarms, then higher thresholds). A youth drowned in hotline numbers stops writing; these
    bounds are where a counselor reading the transcripts would draw the line."""
    ok = [x for x in table if x.traffic <= MAX_TRAFFIC_ALARM and x.fpr <= MAX_LABELED_FPR]
    return max(ok, key=lambda x: (round(x.recall, 6), -x.fpr, -x.traffic, x.urgent, x.guarded)) if ok else None


def choose_concern(
    rows: Sequence[Row], readings: Sequence[RuleReading], probabilities: Sequence[dict[str, float]],
    urgent: float, guarded: float,
) -> float:
    traffic = [i for i, r in enumerate(rows) if r.split == "traffic"]
    for t in sorted(g for g in GRID if g <= urgent):
        verdicts = [combine(readings[i], probabilities[i], urgent, t, guarded) for i in traffic]
        if sum(v.level != "none" for v in verdicts) / max(len(traffic), 1) <= MAX_TRAFFIC_CHECK_IN:
            return t
    return urgent


def run(
    rows: Sequence[Row], cs: Sequence[float] = (DEFAULT_C,), language: str = "en", also_train: Extra | None = None,
) -> str:
    """CV of one language's rules + model on that language's training rows (never a hold-out split)."""
    rows = [r for r in rows if r.split in TRAIN_SPLITS]
    labeled = [i for i, r in enumerate(rows) if r.split != "traffic"]
    traffic = [i for i, r in enumerate(rows) if r.split == "traffic"]
    detector = CrisisDetector(language, use_model=False)
    readings = [detector.rule_pass(r.text, always_extras=True) for r in rows]
    fresh = [i for i, r in enumerate(rows) if r.batch == FRESH_BATCH]
    out: list[str] = []
    rules_all = score(rows, [x.verdict for x in readings])
    rules_fresh = score([rows[i] for i in fresh], [readings[i].verdict for i in fresh])
    if also_train is not None:
        out.append(f"== bilingual: every fold also trains on {len(also_train[0])} rows of the other language")
    out.append(f"== {language}: {FOLDS}-fold CV on {len(rows)} rows ({len(fresh)} in batch {FRESH_BATCH})")
    out.append(f"   rules alone: all recall {rules_all.recall:.3f} FPR {rules_all.fpr:.3f}; "
               f"{FRESH_BATCH} recall {rules_fresh.recall:.3f} FPR {rules_fresh.fpr:.3f}")
    for c in cs:
        probabilities = out_of_fold(rows, readings, c=c, also_train=also_train)
        p = np.array([x["crisis"] for x in probabilities])
        y = np.array([r.is_crisis for r in rows])
        out.append(f"-- C={c}: model alone at 0.5: recall {np.mean(p[y] >= 0.5):.3f} FPR {np.mean(p[~y] >= 0.5):.3f}")
        table = sweep(rows, readings, probabilities)
        for point in table:
            if round(point.urgent * 100) % 5 == 0 and point.guarded in (point.urgent, 0.9, 1.01):
                out.append(f"   urgent>={point.urgent:.2f} guarded>={point.guarded:.2f}  labeled recall "
                           f"{point.recall:.3f} FPR {point.fpr:.3f}   traffic alarms {point.traffic:.3f}")
        best = choose(table)
        if best is None:
            out.append("   no thresholds keep false alarms within bounds")
            continue
        chosen, guarded = best.urgent, best.guarded
        concern = choose_concern(rows, readings, probabilities, chosen, guarded)
        verdicts = [combine(x, q, chosen, concern, guarded) for x, q in zip(readings, probabilities, strict=True)]
        every = score(rows, verdicts)
        fresh_score = score([rows[i] for i in fresh], [verdicts[i] for i in fresh])
        out.append(f"   chosen: urgent >= {chosen:.2f}, guarded >= {guarded:.2f}, concern >= {concern:.2f}")
        labeled_score = score([rows[i] for i in labeled], [verdicts[i] for i in labeled])
        traffic_alarms = sum(verdicts[i].is_crisis for i in traffic) / max(len(traffic), 1)
        traffic_check_ins = sum(verdicts[i].level != "none" for i in traffic) / max(len(traffic), 1)
        out.append(f"   [traffic] {len(traffic)} ordinary navigator messages: crisis {traffic_alarms:.3f}, "
                   f"check-in or more {traffic_check_ins:.3f}")
        for name, s in (("all", every), ("labeled", labeled_score), (FRESH_BATCH, fresh_score)):
            out.append(f"   [{name}] recall {s.recall:.3f} ({s.positives}) FPR {s.fpr:.3f} ({s.negatives}); "
                       f"check-in or more: crisis {s.checked_in:.3f}, `none` rows {s.negatives_checked_in:.3f}")
            out.append("      " + "  ".join(f"{cat} {hit}/{total}" for cat, (hit, total) in s.per_category.items()))
    return "\n".join(out)
