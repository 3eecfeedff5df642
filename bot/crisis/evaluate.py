"""Score the crisis detector on labeled messages: `python -m bot.crisis.evaluate [extra.tsv ...]`.

Always reads tests/crisis/eval_en.tsv (unless --no-default) plus any extra files, and reports every
split separately. TSV columns: text, level (none|concern|urgent|imminent), categories
(comma-separated), split (optional; a file without it is one split named after the file's stem,
e.g. holdout2.tsv -> `holdout2`). Positives are urgent and imminent rows; negatives are none and
concern rows.

  recall       positives the detector calls urgent or imminent
  per category positives with that category that it calls urgent/imminent *and* tags with it
  FPR          negatives it calls urgent or imminent

Exits 1 when any split misses the targets (recall >= 0.98, FPR <= 0.05). Splits in the default file:
`tune` (tune the lexicon and train the model on it) and `seen` (the v4 hold-out, since inspected:
reported separately, no longer blind). A blind set is passed as an extra file and never trained on.

Hold-out history (each set written before the run, then folded into `tune` once inspected):
  v1 128 rows   rules            recall 0.968  FPR 0.000
  v2 174 rows   rules            recall 0.770  FPR 0.046
  v3 228 rows   rules            recall 0.696  FPR 0.060
  v4 306 rows   rules            recall 0.664  FPR 0.076   (current `holdout`)
  v4            rules + model    recall 0.799  FPR 0.083   (threshold fixed beforehand, one run)
  Then v4 was relabelled `seen` and the lexicon generalized by error class (spelling tolerance,
  question frame, broader phrasings, third-person reports). Before tuning on them, 109 new messages
  (`fresh`, now in tune) scored: old detector recall 0.836 FPR 0.111; after the first pass
  recall 0.877-0.932 FPR 0.028-0.056 (rules only).
  v5 681 rows (batch `v5` in tune; written in other styles: fragments, slang, emoji, run-ons, caregivers,
  Spanglish, misspellings, hard negatives), scored before anything was tuned on them:
                rules            recall 0.638  FPR 0.032
                rules + old model recall 0.668 FPR 0.040
  Then the model became TF-IDF word 1-2 + char_wb 2-5 logistic regression on tune+seen, thresholds by
  5-fold CV (`--cv`; rules fixed, model out of fold): urgent >= 0.34, check-in >= 0.25;
                all rows          recall 0.981  FPR 0.146
                v5 rows           recall 0.932  FPR 0.166

`--train` refits the statistical model (bot/crisis/model/en.npz: TF-IDF word 1-2 + char_wb 2-5 grams,
logistic regression heads) on the default file's tune and seen rows; it is deterministic and takes
seconds:

    PYTHONPATH=. python -m bot.crisis.evaluate --train

`--cv` runs 5-fold cross-validation of rules + model on the default file and prints the threshold
sweep the detector's URGENT_THRESHOLD and CONCERN_THRESHOLD were chosen from (see crossval.py).

`--rules-only` scores the lexicon without it.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import re
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.crisis.detector import MODEL_DIR, CrisisDetector, train_model, training_fingerprint
from bot.crisis.verdict import CATEGORIES, CRISIS_LEVELS, LEVELS, CrisisVerdict

DEFAULT_TSV = Path(__file__).resolve().parents[2] / "tests" / "crisis" / "eval_en.tsv"
# The labeled set per language. Spanish: tests/crisis/eval_es.tsv, split `tune` (the lexicon was tuned on it)
# and `holdout` (written with it, never tuned on).
DEFAULT_TSVS = {"en": DEFAULT_TSV, "es": DEFAULT_TSV.parent / "eval_es.tsv"}


def cv_report_path(language: str = "en") -> Path:
    """The last `--cv` run per language, for `make crisis-eval` to show without re-running it."""
    return MODEL_DIR / f"{language}.cv.txt"


CV_REPORT = cv_report_path("en")
MIN_RECALL = 0.98
MAX_FPR = 0.05
# Report order; any other split name (an extra file, a blind set) follows alphabetically.
SPLITS = ("tune", "seen")
SPLIT_NOTES = {
    "tune": " (in-sample: trained and tuned on)",
    "seen": " (in-sample: an old hold-out, trained on)",
    "holdout2": " (dev set: written blind, since read for failure types; never trained on)",
    "holdout": " (Spanish hold-out: never tuned on)",
}
# Splits written by someone else and never read by whoever tunes the lexicon: tests leave them alone.
BLIND_SPLITS = frozenset({"blind", "holdout", "holdout2"})


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    level: str
    categories: tuple[str, ...]
    split: str
    batch: str = ""  # who wrote it when: "v5" is the batch written in new styles, never tuned into the rules

    @property
    def is_crisis(self) -> bool:
        return self.level in CRISIS_LEVELS


@dataclass(slots=True)
class SplitScore:
    name: str
    positives: int = 0
    detected: int = 0
    negatives: int = 0
    false_positives: int = 0
    exact_level: int = 0
    rows: int = 0
    per_category: dict[str, list[int]] = field(default_factory=lambda: {c: [0, 0] for c in CATEGORIES})
    errors: list[tuple[Row, CrisisVerdict]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.positives if self.positives else 1.0

    @property
    def fpr(self) -> float:
        return self.false_positives / self.negatives if self.negatives else 0.0

    @property
    def passes(self) -> bool:
        return self.recall >= MIN_RECALL and self.fpr <= MAX_FPR

    def add(self, row: Row, verdict: CrisisVerdict) -> None:
        self.rows += 1
        self.exact_level += verdict.level == row.level
        if row.is_crisis:
            self.positives += 1
            self.detected += verdict.is_crisis
            for category in row.categories:
                self.per_category[category][1] += 1
                self.per_category[category][0] += verdict.is_crisis and category in verdict.categories
            if not verdict.is_crisis or not set(row.categories) <= set(verdict.categories):
                self.errors.append((row, verdict))
        else:
            self.negatives += 1
            self.false_positives += verdict.is_crisis
            if verdict.is_crisis:
                self.errors.append((row, verdict))


@dataclass(frozen=True, slots=True)
class Timing:
    messages: int
    seconds: float
    p50_ms: float
    p99_ms: float
    p95_ms: float = 0.0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def read_rows(paths: Iterable[Path]) -> list[Row]:
    """Rows of every file; a row without a `split` column takes the file's stem as its split name
    (the default file says `tune`/`seen` per row; `holdout2.tsv` without the column becomes `holdout2`)."""
    rows: list[Row] = []
    for path in paths:
        default_split = "tune" if path.resolve() in {p.resolve() for p in DEFAULT_TSVS.values()} else path.stem
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.append(_row(record, path, default_split))
    return rows


def _row(record: dict[str, str], path: Path, default_split: str = "tune") -> Row:
    level = (record.get("level") or "").strip()
    categories = tuple(c.strip() for c in (record.get("categories") or "").split(",") if c.strip())
    if level not in LEVELS or any(c not in CATEGORIES for c in categories):
        raise ValueError(f"{path}: bad label in row {record!r}")
    split = (record.get("split") or default_split).strip()
    return Row(record["text"], level, categories, split, (record.get("batch") or "").strip())


def score(detector: CrisisDetector | Any, rows: Sequence[Row]) -> dict[str, SplitScore]:
    scores: dict[str, SplitScore] = {}
    for row in rows:
        scores.setdefault(row.split, SplitScore(row.split)).add(row, detector.detect(row.text))
    return scores


class ScreenReader:
    """Reads messages as the gateway's screen does for a conversation in `language`: that language's
    detector and the other's, the more serious verdict winning (bot.crisis.screen.BilingualDetector)."""

    def __init__(self, language: str, use_model: bool = True) -> None:
        from bot.crisis.screen import BilingualDetector

        self.language = language
        self.both = BilingualDetector(use_model=use_model)

    def detect(self, text: str) -> CrisisVerdict:
        return self.both.detect(text, self.language)


def side_by_side(use_model: bool = True) -> str:
    """Recall and FPR per language and split, as the screen reads each language's set."""
    out = [f"{'language':<9}{'split':<10}{'rows':>6}{'pos':>6}{'recall':>9}{'neg':>6}{'FPR':>8}  targets"]
    for language, path in DEFAULT_TSVS.items():
        scores = score(ScreenReader(language, use_model), read_rows([path]))
        for name in sorted(scores, key=lambda n: (SPLITS.index(n) if n in SPLITS else len(SPLITS), n)):
            s = scores[name]
            out.append(f"{language:<9}{name:<10}{s.rows:>6}{s.positives:>6}{s.recall:>9.3f}{s.negatives:>6}"
                       f"{s.fpr:>8.3f}  {'PASS' if s.passes else 'FAIL'}")
    return "\n".join(out)


TRAIN_SPLITS = frozenset({"tune", "seen", "traffic"})
NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"
# Intents whose examples are ordinary navigator traffic: everything except the crisis intent itself.
_NOT_TRAFFIC = frozenset({"crisis"})
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def traffic_rows(language: str = "en") -> list[Row]:
    """The assistant's own NLU examples ("im a foster parent", "never mind", "shelter in fresno") as
    `none` rows of split `traffic`: what the model must learn to leave alone, because the navigator sees
    far more of it than of anything in the crisis set."""
    rows: list[Row] = []
    for path in sorted((NLU_DIR / language).glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in block or block["intent"] in _NOT_TRAFFIC:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text and not text.startswith("/"):
                    rows.append(Row(text, "none", (), "traffic", ""))
    return rows


def training_rows(language: str = "en") -> list[Row]:
    """Everything a language's model learns from: its labeled set's training rows (tune, seen; never the
    Spanish `holdout`, which `training_data` leaves out by split), plus that language's navigator traffic."""
    labeled = read_rows([DEFAULT_TSVS[language]])
    known = {r.text.lower() for r in labeled}
    return labeled + [r for r in traffic_rows(language) if r.text.lower() not in known]


def training_data(
    detector: CrisisDetector, rows: Sequence[Row],
) -> tuple[list[str], list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Tune and seen rows (never a blind split), normalized as the detector reads them; labels are
    "crisis" plus categories for urgent/imminent rows; and the rules' reading of each as model features."""
    train_rows = [r for r in rows if r.split in TRAIN_SPLITS]
    readings = [detector.rule_pass(r.text, always_extras=True) for r in train_rows]
    texts = [x.text for x in readings]
    labels = [label(r) for r in train_rows]
    return texts, labels, [x.extras for x in readings]


def label(row: Row) -> tuple[str, ...]:
    return ("crisis", *row.categories) if row.is_crisis else ()


def train(rows: Sequence[Row], language: str = "en") -> Path:
    detector = CrisisDetector(language, use_model=False)
    texts, labels, extras = training_data(detector, rows)
    path = MODEL_DIR / f"{language}.npz"
    train_model(texts, labels, extras=extras).save(path)
    return path


def time_detector(detector: CrisisDetector | ScreenReader, texts: Sequence[str], rounds: int = 5) -> Timing:
    for text in texts:  # warm the tokenizer cache, as a running gateway would be
        detector.detect(text)
    # As the gateway does at start-up (bot/gateway/app.py `_freeze_heap`): the model, lexicon and libraries
    # live as long as the process, so a full collection should not walk them in the middle of a message.
    gc.collect()
    gc.freeze()
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            begin = time.perf_counter()
            detector.detect(text)
            latencies.append((time.perf_counter() - begin) * 1000)
    seconds = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0.0
    return Timing(len(latencies), seconds, statistics.median(latencies) if latencies else 0.0, p99, p95)


def report(scores: dict[str, SplitScore], show_errors: bool) -> str:
    out: list[str] = []
    for name in sorted(scores, key=lambda n: (SPLITS.index(n) if n in SPLITS else len(SPLITS), n)):
        s = scores[name]
        out.append(f"== {name}{SPLIT_NOTES.get(name, '')}: {s.rows} messages, {s.positives} urgent/imminent, "
                   f"{s.negatives} none/concern")
        for category, (hit, total) in s.per_category.items():
            if total:
                out.append(f"   recall {category:<18} {hit / total:6.3f}  ({hit}/{total})")
        out.append(f"   recall overall           {s.recall:6.3f}  ({s.detected}/{s.positives})")
        out.append(f"   false-positive rate      {s.fpr:6.3f}  ({s.false_positives}/{s.negatives})")
        out.append(f"   exact level              {s.exact_level / s.rows:6.3f}  (informative only)")
        out.append(f"   targets (recall >= {MIN_RECALL}, FPR <= {MAX_FPR}): {'PASS' if s.passes else 'FAIL'}")
        if show_errors:
            for row, verdict in s.errors:
                out.append(f"   ! {row.level:>8} {','.join(row.categories):<28} -> {verdict.level:<8} "
                           f"{','.join(verdict.categories):<28} {row.text}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.crisis.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tsv", nargs="*", type=Path, help="extra labeled TSV files, scored next to the default set")
    parser.add_argument("--no-default", action="store_true", help=f"do not read {DEFAULT_TSV.name}")
    parser.add_argument("--split", help="score only this split (tune while you tune)")
    parser.add_argument("--errors", action="store_true", help="list misses and false positives")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the messages for the timing")
    parser.add_argument("--train", action="store_true", help="refit the model on tune+seen rows first")
    parser.add_argument("--rules-only", action="store_true", help="score the lexicon without the model")
    parser.add_argument("--cv", action="store_true", help="5-fold cross-validation of rules + model")
    parser.add_argument("--bilingual", action="store_true",
                        help="with --cv: every fold also trains on the other language's rows (one model for both?)")
    parser.add_argument("--c", type=float, action="append", help="with --cv: L2 strength C to compare (repeatable)")
    parser.add_argument("--language", choices=sorted(DEFAULT_TSVS), default="en",
                        help="score this language's set (tests/crisis/eval_<language>.tsv) as the screen reads it")
    parser.add_argument("--side-by-side", action="store_true", help="one table: recall and FPR per language and split")
    args = parser.parse_args(argv)
    if args.side_by_side:
        print(side_by_side(use_model=not args.rules_only))
        return 0
    if args.cv:
        from bot.crisis.crossval import run
        from bot.crisis.statmodel import DEFAULT_C

        also = None
        if args.bilingual:
            other = next(lang for lang in DEFAULT_TSVS if lang != args.language)
            also = training_data(CrisisDetector(other, use_model=False), training_rows(other))
            print(run(training_rows(args.language), args.c or [DEFAULT_C], args.language, also))
            return 0  # an experiment: the shipped report stays the per-language one
        text = run(training_rows(args.language), args.c or [DEFAULT_C], args.language)
        print(text)
        detector = CrisisDetector(args.language, use_model=False)
        texts, labels, extras = training_data(detector, training_rows(args.language))
        cv_report_path(args.language).write_text(
            f"fingerprint {training_fingerprint(texts, labels, extras)}\n{text}\n", encoding="utf-8")
        return 0
    if args.language != "en":
        return _score_language(args)

    paths = ([] if args.no_default else [DEFAULT_TSV]) + [p for p in args.tsv if p.resolve() != DEFAULT_TSV]
    all_rows = read_rows(paths)
    if args.train:  # only the default file's tune+seen rows: an extra (blind) file is never learned from
        started = time.perf_counter()
        print(f"== trained {train(training_rows(), 'en')} in {time.perf_counter() - started:.1f} s")
    rows = [r for r in all_rows if args.split is None or r.split == args.split]
    started = time.perf_counter()
    detector = CrisisDetector(use_model=not args.rules_only)
    build_s = time.perf_counter() - started
    _warn_if_stale(detector, training_rows())
    scores = score(detector, rows)
    print(report(scores, args.errors))
    if not args.no_default and args.split is None and not args.rules_only:
        print(cv_summary(detector))
    timing = time_detector(detector, [r.text for r in rows], args.rounds)
    print(f"== speed: build {build_s:.2f} s; {timing.per_second:,.0f} messages/s on one thread; "
          f"latency p50 {timing.p50_ms:.3f} ms, p95 {timing.p95_ms:.3f} ms, p99 {timing.p99_ms:.3f} ms "
          f"({timing.messages} calls; load average {os.getloadavg()[0]:.1f})")
    return 0 if scores and all(s.passes for s in scores.values()) else 1


def _score_language(args: argparse.Namespace) -> int:
    """A language other than English: its set (and extra files) read as the screen reads that language."""
    if args.train:
        started = time.perf_counter()
        print(f"== trained {train(training_rows(args.language), args.language)} in "
              f"{time.perf_counter() - started:.1f} s")
    rows = read_rows([DEFAULT_TSVS[args.language], *args.tsv])
    rows = [r for r in rows if args.split is None or r.split == args.split]
    started = time.perf_counter()
    reader = ScreenReader(args.language, use_model=not args.rules_only)
    primary = reader.both.detector(args.language)
    build_s = time.perf_counter() - started
    _warn_if_stale(primary, training_rows(args.language))
    scores = score(reader, rows)
    print(report(scores, args.errors))
    if args.split is None and not args.rules_only:
        print(cv_summary(primary, args.language))
    timing = time_detector(reader, [r.text for r in rows], args.rounds)
    what = "its rules" if args.rules_only else "its rules + model"
    print(f"== speed ({args.language} conversation: {what}, the other's rules): build {build_s:.2f} s; "
          f"{timing.per_second:,.0f} messages/s on one thread; latency p50 {timing.p50_ms:.3f} ms, "
          f"p95 {timing.p95_ms:.3f} ms, p99 {timing.p99_ms:.3f} ms ({timing.messages} calls; "
          f"load average {os.getloadavg()[0]:.1f})")
    return 0 if scores and all(s.passes for s in scores.values()) else 1


def cv_summary(detector: CrisisDetector, language: str = "en") -> str:
    """The out-of-fold figures of the last `--cv` run (tune, seen and navigator traffic, 5 folds), which is
    where the thresholds come from: the honest in-training figure, unlike the in-sample `tune` above."""
    path = cv_report_path(language)
    if not path.exists():
        return f"== train CV ({language}): no report yet (run --cv --language {language})"
    first, _, body = path.read_text(encoding="utf-8").partition("\n")
    texts, labels, extras = training_data(detector, training_rows(language))
    fresh = first.removeprefix("fingerprint ") == training_fingerprint(texts, labels, extras)
    keep = [line for line in body.splitlines() if line.lstrip().startswith(("==", "rules alone", "chosen", "["))
            or line.startswith("      ")]
    note = "" if fresh else " (STALE: rows or rules changed since; run --cv)"
    return "\n".join([f"== train CV ({language}), out of fold (from the last `--cv` run){note}", *keep])


def _warn_if_stale(detector: CrisisDetector, rows: Sequence[Row]) -> None:
    if detector.model is None:
        print("== rules only (no statistical model)")
        return
    texts, labels, extras = training_data(detector, rows)
    if detector.model.fingerprint != training_fingerprint(texts, labels, extras):
        print("== WARNING: the model was trained on other rows; run with --train")


if __name__ == "__main__":
    sys.exit(main())
