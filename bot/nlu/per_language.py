"""Intent macro-F1 per language from one cross-validation run of the multilingual model.

`rasa test nlu --nlu data/nlu --cross-validation --successes --out DIR` writes every held-out prediction
(intent_successes.json + intent_errors.json); each example's language is the folder it comes from
(data/nlu/en/, data/nlu/es/). Usage: python -m bot.nlu.per_language DIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def languages_of_examples(nlu_dir: Path = NLU_DIR) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in sorted(p for p in nlu_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.yml")):
            for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
                for line in str(block.get("examples") or "").splitlines() if "intent" in block else []:
                    found[_ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())] = folder.name
    return found


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for label in sorted({gold for gold, _ in pairs}):
        tp = sum(g == label and p == label for g, p in pairs)
        fp = sum(g != label and p == label for g, p in pairs)
        fn = sum(g == label and p != label for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def report(out_dir: Path) -> str:
    language = languages_of_examples()
    rows = [*json.loads((out_dir / "intent_successes.json").read_text()),
            *json.loads((out_dir / "intent_errors.json").read_text())]
    lines = []
    for code in sorted(set(language.values())):
        pairs = [(r["intent"], r["intent_prediction"]["name"]) for r in rows if language.get(r["text"].strip()) == code]
        if pairs:
            lines.append(f"{code}: intent macro-F1 {macro_f1(pairs):.4f} on {len(pairs)} held-out examples")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else "var/nlu-eval")))
