"""Bring a new batch of labeled messages into the training set: `python -m bot.crisis.batches SRC.tsv --language es
--batch v7`.

Rows are appended to the language's labeled file (tests/crisis/eval_<language>.tsv) as split `tune` with the
batch name, after dropping:

  - rows with a bad label, or a crisis row without a category (the protocol could not pick a line);
  - rows already in the file (same normalized text);
  - rows too close to any hold-out row (`near_holdout`): the Spanish `holdout` split and the English dev set
    holdout2_en.tsv must stay unseen, so a paraphrase of one of their rows is not trained on either.

The hold-outs are checked for every language: Spanglish rows cross over.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.crisis.evaluate import DEFAULT_TSVS, Row, _row, read_rows
from bot.crisis.verdict import CRISIS_LEVELS

HOLDOUT2 = DEFAULT_TSVS["en"].parent / "holdout2_en.tsv"
HOLDOUT_SPLITS = frozenset({"holdout", "holdout2", "blind"})
# Too close: most of the words are the same words, or most of the character 4-grams are the same (catches a
# reworded typo or a changed name). Measured on the existing sets: distinct rows written by one person about one
# topic ("me quiero morir" / "me quiero morir ya no aguanto") stay below these; copies with a word changed do not.
WORD_JACCARD = 0.75
CHAR_JACCARD = 0.7
_NON_WORD = re.compile(r"[\W_]+")
COLUMNS = ("text", "level", "categories", "split", "batch")


def normalize(text: str) -> str:
    """Lowercase, accents folded, punctuation and emoji dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", folded).strip()


def _grams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i:i + 4] for i in range(max(len(padded) - 3, 1)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class HoldoutIndex:
    """The hold-out rows of every language, for `near` checks."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.texts = [normalize(r.text) for r in rows]
        self._words = [frozenset(t.split()) for t in self.texts]
        self._grams = [_grams(t) for t in self.texts]

    def near(self, text: str) -> str | None:
        """The hold-out text this one is too close to, if any."""
        norm = normalize(text)
        words, grams = frozenset(norm.split()), _grams(norm)
        for held, held_words, held_grams in zip(self.texts, self._words, self._grams, strict=True):
            if (norm == held or _jaccard(words, held_words) >= WORD_JACCARD
                    or _jaccard(grams, held_grams) >= CHAR_JACCARD):
                return held
        return None


def holdout_rows() -> list[Row]:
    rows = [r for path in DEFAULT_TSVS.values() for r in read_rows([path]) if r.split in HOLDOUT_SPLITS]
    return rows + read_rows([HOLDOUT2])


def admit(new: Sequence[Row], existing: Sequence[Row], holdouts: HoldoutIndex) -> tuple[list[Row], list[str]]:
    """The rows to append and, for the report, why each other row was dropped."""
    known = {normalize(r.text) for r in existing}
    kept: list[Row] = []
    dropped: list[str] = []
    for row in new:
        norm = normalize(row.text)
        if not norm:
            dropped.append(f"empty: {row.text!r}")
        elif row.level in CRISIS_LEVELS and not row.categories:
            dropped.append(f"crisis without a category: {row.text}")
        elif norm in known:
            dropped.append(f"already in the set: {row.text}")
        elif (held := holdouts.near(row.text)) is not None:
            dropped.append(f"too close to hold-out {held!r}: {row.text}")
        else:
            known.add(norm)
            kept.append(row)
    return kept, dropped


def _read_source(path: Path, batch: str) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [_row(record, path) for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return [Row(r.text, r.level, r.categories, "tune", batch) for r in rows]


def write_rows(path: Path, rows: Sequence[Row]) -> None:
    """The whole file, with the batch column (older rows have none); written aside and moved into place, so a
    failure never leaves half a file. Plain tab-joined lines: the files are read with QUOTE_NONE, so a quote
    character is text, and csv.writer would refuse it without an escape character."""
    lines = ["\t".join(COLUMNS)]
    for r in rows:
        fields = [r.text, r.level, ",".join(r.categories), r.split, r.batch]
        if any(c in f for f in fields for c in "\t\r\n"):
            raise ValueError(f"a tab or line break inside a field: {r.text!r}")
        lines.append("\t".join(fields).rstrip("\t"))  # an empty batch column is left off, as in the older rows
    aside = path.with_suffix(".tmp")
    aside.write_text("\n".join(lines) + "\n", encoding="utf-8")
    aside.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.crisis.batches", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("--language", choices=sorted(DEFAULT_TSVS), required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--verbose", action="store_true", help="list every dropped row")
    parser.add_argument("--prune", action="store_true",
                        help="also drop training rows already in the file that are too close to a hold-out row")
    args = parser.parse_args(argv)
    target = DEFAULT_TSVS[args.language]
    existing = read_rows([target])
    holdouts = HoldoutIndex(holdout_rows())
    if args.prune:
        near = [r for r in existing if r.split not in HOLDOUT_SPLITS and holdouts.near(r.text) is not None]
        existing = [r for r in existing if r not in near]
        for r in near:
            print(f"  - pruned (too close to hold-out {holdouts.near(r.text)!r}): {r.text}")
    kept, dropped = admit(_read_source(args.source, args.batch), existing, holdouts)
    write_rows(target, [*existing, *kept])
    print(f"{target.name}: +{len(kept)} rows (batch {args.batch}), {len(dropped)} dropped")
    for reason in dropped if args.verbose else [d for d in dropped if d.startswith("too close")]:
        print("  -", reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
