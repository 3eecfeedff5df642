"""Crisis-language detector: spaCy tokens and lemmas, token-pattern rules from a per-language lexicon,
and our own scope logic on top (negation, past and resolved events, jokes, idioms, media and law
questions, who the sentence is about).

Rules live in `patterns/<language>.yml`; this module knows no English words of its own, so adding
Spanish means writing `patterns/es.yml`. Misspellings: an unknown word of 5+ letters one edit away
(insert, delete, substitute, swap) from a lexicon word is read as that word, and look-alike symbols
inside a word are read as letters ("d!e", "k1ll").

Nothing is downloaded: the pipeline is `spacy.blank(lang)` plus the lemma lookup table that
spacy-lookups-data ships.

The statistical second opinion (statmodel.py, model/<language>.npz, one per language: en and es) is a TF-IDF
word 1-2 + char_wb 2-5 gram logistic regression trained on the training rows of tests/crisis/eval_<language>.tsv
(tune + seen; never a hold-out) plus that language's NLU examples as ordinary traffic, deterministically:

    PYTHONPATH=. python -m bot.crisis.evaluate --train [--language es]

(One bilingual model was cross-validated against per-language ones on the Spanish rows and did slightly worse:
Spanish labeled recall 0.782 against 0.796 at the same false-alarm bounds; see BENCHMARKS.md.)

How the two combine (`combine`): the rules keep authority where they fire. A rule crisis keeps the rule
verdict. Where an idiom matched, or an urgent rule was scoped down (negated, past, joking, a question, a
film), the model is not asked. Where a story/joke/law/past cue (`boost_blockers`) is present, the model
may ask for a check-in at most. Otherwise P(crisis) >= URGENT_THRESHOLD makes the message urgent with
the model's categories, and CONCERN_THRESHOLD <= P < URGENT_THRESHOLD a gentle check-in. Thresholds were
chosen per language by 5-fold cross-validation on its training rows (`python -m bot.crisis.evaluate --cv
[--language es]`, `THRESHOLDS`); evidence of a model verdict says "model 0.93" so the advocate knows no rule
matched. A rule crisis keeps its level and also gains the categories the model is sure of ("model adds ...").
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.lookups import load_lookups
from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.crisis.statmodel import (  # noqa: F401  (re-exported: the model's public names)
    HASH_BITS,
    MODEL_HEADS,
    LinearModel,
    model_features,
    train_model,
    training_fingerprint,
)
from bot.crisis.verdict import CATEGORIES, CrisisVerdict, level_rank, max_level

log = logging.getLogger(__name__)

PATTERNS_DIR = Path(__file__).parent / "patterns"
MODEL_DIR = Path(__file__).parent / "model"
# The statistical model lifts a message the rules left below urgent: to urgent at P(crisis) >= URGENT_THRESHOLD,
# to a gentle check-in at CONCERN_THRESHOLD <= P < URGENT_THRESHOLD. Chosen by 5-fold CV (`evaluate --cv`,
# C=32) on eval_en.tsv (with batch v7) plus the assistant's own NLU examples as ordinary traffic: 0.32 is the
# lowest urgent threshold at which at most 2% of ordinary navigator messages and 10% of labeled negatives get the
# crisis protocol (out of fold: labeled recall 0.952 at FPR 0.098; v7 batch 0.916 at 0.142; traffic 0.014); the
# check-in band starts where at most 5% of traffic gets a check-in (model/en.cv.txt).
URGENT_THRESHOLD = 0.32
CONCERN_THRESHOLD = 0.25
BOOST_THRESHOLD = URGENT_THRESHOLD  # the older name
# Where a joke, story, law question or past event is mentioned ("guarded"), the model needs this much to
# make a message urgent: the cue alone used to cap it at a check-in, which missed "only made 300 ... he said
# if im short tonight" (a "past" cue) at P = 0.97. The model now reads those cues as features itself.
GUARDED_THRESHOLD = 0.75  # CV (with batch v7) found a guarded threshold that adds recall within the bounds


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the model lifts a message, per language: each language's model is cross-validated on its own
    rows and navigator traffic (`python -m bot.crisis.evaluate --cv --language <lang>`)."""

    urgent: float
    concern: float
    guarded: float = 1.01


# Spanish (model/es.npz): chosen by 5-fold CV on eval_es.tsv's training rows plus the Spanish NLU examples as
# ordinary traffic, with the same bounds as English (crossval.choose); see model/es.cv.txt.
THRESHOLDS: dict[str, Thresholds] = {
    "en": Thresholds(URGENT_THRESHOLD, CONCERN_THRESHOLD, GUARDED_THRESHOLD),
    "es": Thresholds(0.61, 0.14, 0.65),
}
# Languages whose model reads the text and the rules' features with accents folded ("corté" = "corte",
# "mamá" = "mama"): youth write Spanish with and without them, and 5-fold CV on the Spanish rows gave labeled
# recall 0.835 folded against 0.825 unfolded at the same false-alarm bounds.
MODEL_FOLDS_ACCENTS = frozenset({"es"})
# Past and resolved cues do not guard a message that also says something is happening now.
PAST_BLOCKERS = frozenset({"past_time", "resolved"})
# A category head must be this sure to be named next to the best one on a model-only verdict.
CATEGORY_THRESHOLD = 0.5
MODEL_EVIDENCE_CHARS = 60
MAX_EVIDENCE_CHARS = 80
# The tokenizer interns every new word it sees; rebuild the pipeline before that grows without bound.
MAX_INTERNED_STRINGS = 2_000_000
SUBJECT_WINDOW = 8
NEGATION_WINDOW = 6
INTENT_WINDOW = 5
FAMILY_WINDOW = 16
CONDITION_WINDOW = 12
LINE_BREAK = "\n"
SUFFERING_CATEGORIES = frozenset({"suicidal", "self_harm", "medical_emergency"})

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ZERO_WIDTH_SPACE = re.compile(r"[\u200b\u200c\u2060\u3000]")
_INVISIBLE = re.compile(r"[\u00ad\u200d-\u200f\u202a-\u202e\u2061-\u206f\ufe00-\ufe0f\ufeff]")
MAX_EVIDENCE_ITEMS = 12
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}")
_GLUED_PUNCT = re.compile(r"([.!?,;:]+)(?=[^\W\d_])")
_GLUED_NUMBER = re.compile(r"(\d)(?=[^\W\d_]{3,})")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
# Letters written as look-alike symbols inside a word: "d!e", "k1ll", "su1c1de", "r@pe", "3" for e.
_LEET = {"!": "i", "1": "i", "3": "e", "0": "o", "@": "a", "$": "s"}
_LEET_INSIDE = re.compile(r"(?<=[^\W\d_])[!130@$]+(?=[^\W\d_])")
# Spelling tolerance: an unknown word of at least this many letters that is one edit (insertion,
# deletion, substitution or swap of neighbours) from exactly one lexicon word is read as that word.
FUZZY_MIN_LENGTH = 5
MAX_FUZZY_CACHE = 50_000
_NUMBER_WORDS = {"ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}


# ---------------------------------------------------------------------------------------------------
# Lexicon: the YAML file, parsed and compiled into spaCy Matcher patterns
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str  # "rule" (token patterns) or "cooccur" (enough different cues in one message)
    categories: tuple[str, ...]
    level: str
    patterns: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    min_cues: int = 2
    escalate: frozenset[str] = frozenset()
    subjects: frozenset[str] | None = None
    not_followed_by: frozenset[str] = frozenset()
    at_clause_end: bool = False
    soft: bool = False
    conditional: bool = False
    hyperbole_subjects: frozenset[str] = frozenset()
    when_parent: tuple[str, tuple[str, ...]] | None = None
    family_adds: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    min_number: int | None = None
    # A bare first-person statement ("kms", "kms fr", "i kill myself tonight") states intent: imminent.
    bare_intent: bool = False


@dataclass(frozen=True, slots=True)
class Lexicon:
    language: str
    rewrite: Mapping[str, tuple[str, ...]]
    keep_whole: frozenset[str]
    emoji: Mapping[str, str]
    lemmas: Mapping[str, str]
    classes: Mapping[str, tuple[str, ...]]
    subjects: Mapping[str, str]  # word -> subject class
    parental_subjects: frozenset[str]
    clause_breaks: frozenset[str]
    sentence_breaks: frozenset[str]
    negators: frozenset[str]
    negation_fillers: frozenset[str]
    past_verbs: frozenset[str]
    frequent_words: frozenset[str]
    conditionals: frozenset[str]
    question_starts: frozenset[str]
    boost_blockers: tuple[str, ...]
    cues: Mapping[str, tuple[str, ...]]
    idioms: tuple[str, ...]
    rules: tuple[Rule, ...]
    fuzzy_known: frozenset[str] = frozenset()  # real words that look like a typo of a lexicon word
    bare_leads: frozenset[str] = frozenset()  # words that may open a clause before a bare statement of intent


class _WordLoader(yaml.SafeLoader):
    """YAML without the 1.1 booleans: in a word list, `no`, `off` and `on` are words, not False/True."""


_WordLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_WordLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_lexicon(language: str = "en", path: Path | None = None) -> Lexicon:
    source = (path or PATTERNS_DIR / f"{language}.yml").read_text(encoding="utf-8")
    raw = yaml.load(source, Loader=_WordLoader)  # a SafeLoader subclass: no arbitrary objects
    rewrite = {str(k): tuple(str(v).split()) for k, v in (raw.get("rewrite") or {}).items()}
    emoji = {str(k): str(v) for k, v in (raw.get("emoji") or {}).items()}
    subjects = {str(word): cls for cls, words in raw["subjects"].items() for word in words}
    rules = [_parse_rule(r, "rule") for r in raw.get("rules") or ()]
    rules += [_parse_rule(r, "cooccur") for r in raw.get("cooccur") or ()]
    return Lexicon(
        language=str(raw.get("language", language)),
        rewrite={**rewrite, **{k: (v,) for k, v in emoji.items()}},
        keep_whole=frozenset(raw.get("tokenizer_keep_whole") or ()),
        emoji=emoji,
        lemmas={str(k): str(v) for k, v in (raw.get("lemmas") or {}).items()},
        classes={name: tuple(str(w) for w in words) for name, words in raw["classes"].items()},
        subjects=subjects,
        parental_subjects=frozenset(raw.get("parental_subjects") or ()),
        clause_breaks=frozenset(raw["clause_breaks"]) | {LINE_BREAK},
        sentence_breaks=frozenset(raw["sentence_breaks"]) | {LINE_BREAK},
        negators=frozenset(raw["negators"]),
        negation_fillers=frozenset(raw["negation_fillers"]),
        past_verbs=frozenset(raw["past_verbs"]),
        frequent_words=frozenset(raw.get("frequent_words") or ()),
        conditionals=frozenset(raw.get("conditionals") or ()),
        question_starts=frozenset(raw.get("question_starts") or ()),
        boost_blockers=tuple(raw.get("boost_blockers") or ()),
        cues={name: tuple(p) for name, p in raw["cues"].items()},
        idioms=tuple(raw.get("idioms") or ()),
        rules=tuple(rules),
        fuzzy_known=frozenset(str(w) for w in raw.get("fuzzy_known") or ()),
        bare_leads=frozenset(str(w) for w in raw.get("bare_intent_leads") or ()),
    )


def _parse_rule(raw: Mapping[str, Any], kind: str) -> Rule:
    categories = tuple(raw.get("categories") or ())
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise ValueError(f"rule {raw['id']}: unknown categories {unknown}")
    when_parent = raw.get("when_parent")
    subjects = raw.get("subjects")
    return Rule(
        id=str(raw["id"]),
        kind=kind,
        categories=categories,
        level=str(raw["level"]),
        patterns=tuple(raw.get("patterns") or ()),
        cues=tuple(raw.get("cues") or ()),
        min_cues=int(raw.get("min", 2)),
        escalate=frozenset(raw.get("escalate") or ()),
        subjects=None if subjects is None else frozenset("none" if s is None else str(s) for s in subjects),
        not_followed_by=frozenset(raw.get("not_followed_by") or ()),
        at_clause_end=bool(raw.get("at_clause_end", False)),
        soft=bool(raw.get("soft", False)),
        conditional=bool(raw.get("conditional", False)),
        hyperbole_subjects=frozenset(raw.get("hyperbole_subjects") or ()),
        when_parent=None if when_parent is None else (
            str(when_parent["level"]), tuple(when_parent.get("categories") or ())),
        family_adds=tuple(raw.get("family_adds") or ()),
        unless=tuple(raw.get("unless") or ()),
        min_number=raw.get("min_number"),
        bare_intent=bool(raw.get("bare_intent", False)),
    )


class PatternCompiler:
    """Turns the lexicon's one-line patterns into spaCy Matcher token patterns (see en.yml's header)."""

    def __init__(self, lexicon: Lexicon, lemma: Any) -> None:
        self._lexicon = lexicon
        self._lemma = lemma
        self._gap_words = sorted(lexicon.clause_breaks)

    def compile(self, pattern: str) -> list[dict[str, Any]]:
        return [self._item(part) for part in pattern.split()]

    def _item(self, part: str) -> dict[str, Any]:
        if part.startswith("~"):
            return {"LOWER": {"NOT_IN": self._gap_words}, "OP": f"{{0,{int(part[1:])}}}"}
        optional = part.endswith("?") and len(part) > 1
        part = part[:-1] if optional else part
        if part == "#num":
            spec: dict[str, Any] = {"LIKE_NUM": True}
        elif part == "#big":  # an amount of at least 100 ("500", "2,000", "2k"): not "$10 for the uber"
            spec = {"LOWER": {"REGEX": r"^(?:[1-9]\d{2,}|[1-9]\d{0,2}(?:,\d{3})+|\d+k)$"}}
        elif "=" in part:  # "=dates|=tricks": exact spellings only
            spec = {"LOWER": {"IN": sorted(self._alternatives(part.replace("=", "")))}}
        else:
            words = self._alternatives(part)
            spec = {"LEMMA": {"IN": sorted(words | {self._lemma(w) for w in words})}}
        if optional:
            spec["OP"] = "?"
        return spec

    def _alternatives(self, part: str) -> set[str]:
        words: set[str] = set()
        for alt in part.split("|"):
            if alt.startswith("@"):
                words.update(self._lexicon.classes[alt[1:]])
            elif alt:
                words.add(alt)
        return words


# ---------------------------------------------------------------------------------------------------
# One message, tokenized and matched
# ---------------------------------------------------------------------------------------------------


Span = tuple[int, int]


@dataclass(slots=True)
class Message:
    text: str  # normalized text the spans point into
    words: list[str]
    lemmas: list[str]
    offsets: list[Span]  # character span in `text` of the source token of each word
    clause_of: list[int]
    clause_spans: list[Span]
    sentence_of: list[int]
    cues: dict[str, list[Span]] = field(default_factory=dict)
    hits: list[tuple[Rule, int, int]] = field(default_factory=list)
    idioms: list[Span] = field(default_factory=list)
    # Lookups by clause and sentence, so long messages with many matches stay linear.
    _clause_cues: dict[tuple[str, int], list[Span]] = field(default_factory=dict)
    _sentence_cues: set[tuple[str, int]] = field(default_factory=set)
    _cue_ends: dict[str, dict[int, int]] = field(default_factory=dict)  # name -> end -> start

    def index_cues(self) -> None:
        self._clause_cues.clear()
        self._sentence_cues.clear()
        self._cue_ends.clear()
        for name, spans in self.cues.items():
            ends = self._cue_ends.setdefault(name, {})
            for span in spans:
                ends.setdefault(span[1], span[0])
                self._clause_cues.setdefault((name, self.clause_of[span[0]]), []).append(span)
                self._sentence_cues.add((name, self.sentence_of[span[0]]))

    def evidence(self, start: int, end: int) -> str:
        begin, finish = self.offsets[start][0], self.offsets[end - 1][1]
        return self.text[begin:finish][:MAX_EVIDENCE_CHARS].strip()

    def clause(self, index: int) -> Span:
        return self.clause_spans[self.clause_of[index]]

    def has_cue(self, name: str) -> bool:
        return bool(self.cues.get(name))

    def cue_in_clause(self, name: str, index: int) -> bool:
        return (name, self.clause_of[index]) in self._clause_cues

    def cue_in_sentence(self, name: str, index: int) -> bool:
        return (name, self.sentence_of[index]) in self._sentence_cues

    def cue_before(self, name: str, start: int, window: int) -> bool:
        ends = self._cue_ends.get(name, {})
        clause = self.clause_of[start]
        return any(
            e in ends and self.clause_of[ends[e]] == clause for e in range(max(0, start - window), start + 1)
        )

    def cue_outside(self, name: str, start: int, end: int) -> bool:
        return any(e <= start or s >= end for s, e in self.cues.get(name, ()))


@dataclass(frozen=True, slots=True)
class Finding:
    level: str
    categories: tuple[str, ...]
    start: int
    evidence: tuple[str, ...]


# ---------------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One pattern and what a match of it means. Each has its own Matcher so that a message only pays
    for the patterns whose anchor word it contains: matching cost grows with patterns x tokens."""

    kind: str  # "cue", "idiom" or "rule"
    payload: Any  # cue name, None, or the Rule
    matcher: Matcher


@dataclass(slots=True)
class _Pipeline:
    nlp: Any
    entries: list[_Entry]
    by_anchor: dict[str, list[int]]  # word or lemma -> entries that cannot match without it
    unanchored: list[int]


class CrisisDetector:
    """Build once, share freely: `detect` may be called from many threads at once."""

    def __init__(
        self, language: str = "en", lexicon_path: Path | None = None, model_path: Path | None = None,
        use_model: bool = True,
    ) -> None:
        self.lexicon = load_lexicon(language, lexicon_path)
        model_file = model_path or MODEL_DIR / f"{language}.npz"
        self.model = LinearModel.load(model_file) if use_model and model_file.exists() else None
        self.thresholds = THRESHOLDS.get(language, THRESHOLDS["en"])
        self._lemma_table = load_lookups("en" if language == "en" else language, ["lemma_lookup"]).get_table(
            "lemma_lookup"
        )
        self._emoji = re.compile("|".join(re.escape(e) for e in sorted(self.lexicon.emoji, key=len, reverse=True)))
        self._known, self._fuzzy_index = self._spelling_tables()
        self._fuzzy_cache: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._pipeline = self._build_pipeline()

    # -- public -------------------------------------------------------------------------------------

    def detect(self, text: str) -> CrisisVerdict:
        try:
            return self.analyse(text)
        except Exception:  # a broken message must never break the conversation
            log.exception("crisis detector failed; answering with a gentle check-in")
            return CrisisVerdict(level="concern")

    def analyse(self, text: str) -> CrisisVerdict:
        """`detect` without the safety net, for tests that must see real failures."""
        reading = self.rule_pass(text)
        probabilities = None
        if self.model is not None and (reading.model_ceiling != "none" or reading.verdict.is_crisis):
            probabilities = self.model.probabilities(model_features(reading.text, reading.extras))
        t = self.thresholds
        return combine(reading, probabilities, t.urgent, t.concern, t.guarded)

    def rule_pass(self, text: str, always_extras: bool = False) -> RuleReading:
        """The rules' findings and how far the model may lift the message (cross-validation reuses it).

        The model's rule features are computed only where the model will be asked, unless
        `always_extras` (training reads every row the same way)."""
        message = self._read(_as_text(text))
        findings = self._judge_all(message)
        verdict = _verdict(findings)
        ceiling = "none" if verdict.is_crisis else self._model_ceiling(message)
        # a rule crisis is read by the model too, for the categories the rules did not name
        wanted = always_extras or ceiling != "none" or verdict.is_crisis
        extras = self._model_extras(message, findings) if wanted else ()
        if self.lexicon.language in MODEL_FOLDS_ACCENTS:
            return RuleReading(_fold_accents(message.text), tuple(findings), verdict, ceiling,
                               tuple(_fold_accents(e) for e in extras))
        return RuleReading(message.text, tuple(findings), verdict, ceiling, extras)

    def normalize(self, text: str) -> str:
        """The text as the rules and the model read it (also used to train the model)."""
        return self._normalize(_as_text(text))

    # -- pipeline ---------------------------------------------------------------------------------

    def _build_pipeline(self) -> _Pipeline:
        nlp = spacy.blank(self.lexicon.language)
        nlp.tokenizer.rules = {k: v for k, v in nlp.tokenizer.rules.items() if k not in self.lexicon.keep_whole}
        compiler = PatternCompiler(self.lexicon, self._lemma)
        pipeline = _Pipeline(nlp=nlp, entries=[], by_anchor={}, unanchored=[])
        sources: list[tuple[str, Any, Sequence[str]]] = [
            *(("cue", name, patterns) for name, patterns in self.lexicon.cues.items()),
            ("idiom", None, self.lexicon.idioms),
            *(("rule", rule, rule.patterns) for rule in self.lexicon.rules if rule.kind == "rule"),
        ]
        for kind, payload, patterns in sources:
            for pattern in patterns:
                tokens = compiler.compile(pattern)
                matcher = Matcher(nlp.vocab)
                matcher.add("m", [tokens])
                index = len(pipeline.entries)
                pipeline.entries.append(_Entry(kind, payload, matcher))
                anchor = self._anchor(tokens)
                if anchor:
                    for word in anchor:
                        pipeline.by_anchor.setdefault(word, []).append(index)
                else:
                    pipeline.unanchored.append(index)
        return pipeline

    def _anchor(self, tokens: list[dict[str, Any]]) -> frozenset[str]:
        """The most selective required token's words: a message without one of them cannot match."""
        best: frozenset[str] = frozenset()
        best_score = float("inf")
        for spec in tokens:
            if "OP" in spec:
                continue
            words = frozenset(next(iter(spec.get("LEMMA", spec.get("LOWER", {"IN": ()})).values()), ()))
            if not words or "NOT_IN" in spec.get("LOWER", {}):
                continue
            score = len(words) + (1000 if words & self.lexicon.frequent_words else 0)
            if score < best_score:
                best, best_score = words, score
        return best

    def _spelling_tables(self) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
        """Known words (never corrected) and a symmetric-delete index of the lexicon's long words."""
        table = self._lemma_table
        lexicon_words: set[str] = set()
        for words in self.lexicon.classes.values():
            lexicon_words.update(words)
        patterns = [p for r in self.lexicon.rules for p in r.patterns]
        patterns += [p for ps in self.lexicon.cues.values() for p in ps] + list(self.lexicon.idioms)
        for pattern in patterns:
            for part in pattern.split():
                for alt in part.rstrip("?").replace("=", "").split("|"):
                    if alt.isalpha():
                        lexicon_words.add(alt)
        for targets in self.lexicon.rewrite.values():
            lexicon_words.update(w for w in targets if w.isalpha())
        known = set(lexicon_words) | set(self.lexicon.rewrite) | set(self.lexicon.fuzzy_known)
        for key in table:
            form = table.get(key)  # the table stores hashed keys; look the strings up through the vocab
            if isinstance(form, str):
                known.add(form)
        index: dict[str, set[str]] = {}
        for word in lexicon_words:
            if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                for variant in _deletions(word) | {word}:
                    index.setdefault(variant, set()).add(word)
        return frozenset(known), {k: frozenset(v) for k, v in index.items()}

    def _is_known(self, word: str) -> bool:
        return word in self._known or word in self._lemma_table

    def _correct(self, word: str) -> str | None:
        """The one lexicon word an unknown long word is a single typo away from, if there is one."""
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha() or self._is_known(word):
            return None
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        candidates: set[str] = set()
        for variant in _deletions(word) | {word}:
            candidates.update(self._fuzzy_index.get(variant, ()))
        candidates = {c for c in candidates if _one_edit(word, c)}
        # several candidates ("sexualy": sexual, sexually): the longest, then alphabetical, is kept
        found = min(candidates, key=lambda c: (-len(c), c)) if candidates else None
        if len(self._fuzzy_cache) > MAX_FUZZY_CACHE:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[word] = found
        return found

    def _lemma(self, word: str) -> str:
        override = self.lexicon.lemmas.get(word)
        return override if override is not None else str(self._lemma_table.get(word, word))

    def _normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", _ZERO_WIDTH_SPACE.sub(" ", _CONTROL.sub(" ", text)))
        text = text.translate(_APOSTROPHES).lower()
        text = self._emoji.sub(lambda m: f" {m.group(0)} ", text)
        text = _ELONGATED.sub(r"\1", text)  # "diiiie", "pleaseeee", "lmaooo"
        text = _LEET_INSIDE.sub(lambda m: "".join(_LEET[c] for c in m.group(0)), text)  # "d!e", "k1ll"
        # spaCy's tokenizer is quadratic on long runs of punctuation ("((((…", 475 ms for 2,000 characters):
        # such runs carry no crisis meaning, so they shrink before it reads them.
        text = _REPEATED_SYMBOL.sub(r"\1\1\1", _ASCII_PUNCT_RUN.sub(" ", text))
        text = _GLUED_PUNCT.sub(r"\1 ", text)  # "outside!!he", "no.but"
        return _GLUED_NUMBER.sub(r"\1 ", text)  # "500tonight"

    def _read(self, raw: str) -> Message:
        text = self._normalize(raw)
        with self._lock:  # spaCy's tokenizer cache and vocab are not meant for concurrent writers
            pipeline = self._pipeline
            if len(pipeline.nlp.vocab.strings) > MAX_INTERNED_STRINGS:
                pipeline = self._pipeline = self._build_pipeline()
            words, offsets = self._words(pipeline.nlp.tokenizer(text))
            lemmas = [self._lemma(w) for w in words]
            doc = Doc(pipeline.nlp.vocab, words=words, spaces=[True] * len(words), lemmas=lemmas)
            matches = self._match(pipeline, doc, {*words, *lemmas})
        message = self._segment(text, words, lemmas, offsets)
        for entry, start, end in sorted(matches, key=lambda m: (m[1], -m[2])):
            if entry.kind == "cue":
                message.cues.setdefault(entry.payload, []).append((start, end))
            elif entry.kind == "idiom":
                message.idioms.append((start, end))
            else:
                message.hits.append((entry.payload, start, end))
        message.hits = _longest_per_rule(message.hits)
        self._drop_idiom_cues(message)
        message.index_cues()
        return message

    @staticmethod
    def _match(pipeline: _Pipeline, doc: Doc, present: set[str]) -> list[tuple[_Entry, int, int]]:
        candidates = set(pipeline.unanchored)
        for word in present:
            candidates.update(pipeline.by_anchor.get(word, ()))
        found: list[tuple[_Entry, int, int]] = []
        for index in sorted(candidates):
            entry = pipeline.entries[index]
            found.extend((entry, start, end) for _, start, end in entry.matcher(doc))
        return found

    def _words(self, tokens: Iterable[Any]) -> tuple[list[str], list[Span]]:
        """Source tokens -> the plain words rules are written in, each remembering where it came from."""
        words: list[str] = []
        offsets: list[Span] = []
        for token in tokens:
            span = (token.idx, token.idx + len(token.text))
            if token.is_space:
                if LINE_BREAK in token.text:
                    words.append(LINE_BREAK)
                    offsets.append(span)
                continue
            mapped = self.lexicon.rewrite.get(token.text) or self.lexicon.rewrite.get(token.norm_)
            if mapped is None:
                corrected = self._correct(token.norm_ or token.text)
                if corrected is not None:
                    mapped = self.lexicon.rewrite.get(corrected) or (corrected,)
            for word in mapped or (token.norm_ or token.text,):
                words.append(word)
                offsets.append(span)
        return words, offsets

    def _segment(self, text: str, words: list[str], lemmas: list[str], offsets: list[Span]) -> Message:
        clause_of: list[int] = []
        sentence_of: list[int] = []
        clause_spans: list[Span] = []
        clause = sentence = 0
        start = 0
        for i, word in enumerate(words):
            clause_of.append(clause)
            sentence_of.append(sentence)
            if word in self.lexicon.clause_breaks:
                clause_spans.append((start, i + 1))
                clause, start = clause + 1, i + 1
            if word in self.lexicon.sentence_breaks:
                sentence += 1
        clause_spans.append((start, len(words)))
        return Message(text, words, lemmas, offsets, clause_of, clause_spans, sentence_of)

    @staticmethod
    def _drop_idiom_cues(message: Message) -> None:
        if message.idioms:
            for name, spans in message.cues.items():
                message.cues[name] = [s for s in spans if not _overlaps_any(s, message.idioms)]
        # "and now i'm in college" resolves the past; its "now" does not make anything current
        resolved = [*message.cues.get("resolved", ()), *message.cues.get("memory", ())]
        for name in ("ongoing", "recent_time"):
            if name in message.cues:
                message.cues[name] = [s for s in message.cues[name] if not _overlaps_any(s, resolved)]

    # -- the statistical second opinion ----------------------------------------------------------

    def _model_ceiling(self, message: Message) -> str:
        """How far the model may lift a message the rules left below urgent.

        "none": an idiom matched, or an urgent rule matched and the scope logic brought it down (negated,
        past, a joke, a question, a film): the rules understood the message. "guarded": a joke, story,
        law question or past event is mentioned (a past one only when nothing says it is happening now,
        "i got away but hes still on the platform"): urgent only at GUARDED_THRESHOLD. Otherwise "urgent"."""
        if message.idioms or any(
            level_rank(rule.level) >= level_rank("urgent") and self._explicitly_scoped(message, start, end)
            for rule, start, end in message.hits
        ):
            return "none"
        current = any(message.has_cue(cue) for cue in ("now", "ongoing", "recent_time"))
        if any(message.has_cue(cue) for cue in self.lexicon.boost_blockers
               if not (current and cue in PAST_BLOCKERS)):
            return "guarded"
        return "urgent"

    def _explicitly_scoped(self, message: Message, start: int, end: int) -> bool:
        """A filter the rules stand by: negated, past, a film or a question, a story, a reported insult,
        a joke. (A hit dropped only because of who it seemed to be about is not one: the model may judge.)"""
        speaker = self._subject(message, start, include_object=True)
        return bool(
            self._frame(message, start, speaker) is not None
            or self._asking(message, start)
            or self._negated(message, start)
            or self._is_past(message, start, end)
            or self._reported_command(message, start)
            or message.cue_in_sentence("creative", start)
            or self._legal_question(message, start)
            or (message.has_cue("humor") and not message.has_cue("serious"))
            or message.has_cue("joke")
        )

    def _model_extras(self, message: Message, findings: Sequence[Finding]) -> tuple[str, ...]:
        """What the rules read, as features for the model: surface n-grams alone overfit the phrasing of
        the training rows. The words after slang expansion, spelling correction and lemmatization
        ("kms" -> kill myself, "suiside" -> suicide, "cutting" -> cut) as unigrams and bigrams; the cues
        present (past, humor, media, caregiver, ...); subject classes; and each rule hit with how its
        scope was judged (a negated or past "kill myself" teaches the model something different from a
        bare one)."""
        lemmas = [w for w in message.lemmas if w != LINE_BREAK]
        out = [f"l:{w}" for w in lemmas]
        out += [f"m:{a} {b}" for a, b in itertools.pairwise(lemmas)]
        out += [f"c:{name}" for name, spans in message.cues.items() if spans]
        out += [f"s:{cls}" for w in message.words if (cls := self._subject_class(w)) is not None]
        for rule, start, end in message.hits:
            if _overlaps_any((start, end), message.idioms):
                out.append(f"r:{rule.id}:idiom")
                continue
            scope = ("negated" if self._negated(message, start) else "past" if self._is_past(message, start, end)
                     else "scoped" if self._explicitly_scoped(message, start, end) else "plain")
            out.append(f"r:{rule.id}:{scope}")
            out.append(f"r:{scope}")
        out += [f"f:{f.level}:{c}" for f in findings for c in f.categories]
        if message.idioms:
            out.append("i:idiom")
        return tuple(out)

    # -- judging ----------------------------------------------------------------------------------

    def _judge_all(self, message: Message) -> list[Finding]:
        findings: list[Finding] = []
        for rule, start, end in message.hits:
            if _overlaps_any((start, end), message.idioms):
                continue
            finding = self._judge_hit(message, rule, start, end)
            if finding is not None:
                findings.append(finding)
        for rule in self.lexicon.rules:
            if rule.kind == "cooccur":
                finding = self._judge_cooccur(message, rule)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _judge_hit(self, message: Message, rule: Rule, start: int, end: int) -> Finding | None:
        if not self._surface_ok(message, rule, start, end):
            return None
        subject = self._subject(message, start, include_object=False)
        if rule.subjects is not None and subject not in rule.subjects:
            return None
        level, categories = self._scoped_level(message, rule, start, end, subject)
        if level == "none":
            return None
        if rule.family_adds and self._family_before(message, start):
            categories = (*categories, *rule.family_adds)
        return Finding(level, categories, start, (message.evidence(start, end),))

    def _scoped_level(
        self, message: Message, rule: Rule, start: int, end: int, subject: str
    ) -> tuple[str, tuple[str, ...]]:
        categories = rule.categories
        speaker = self._subject(message, start, include_object=True)
        frame = self._frame(message, start, speaker)
        if frame == "media":
            return "none", categories
        if frame == "info" or self._asking(message, start):
            return ("concern" if SUFFERING_CATEGORIES & set(categories) else "none"), categories
        if self._negated(message, start):
            # Bringing up suicide or self-harm only to deny it still merits a gentle check-in.
            return ("concern" if {"suicidal", "self_harm"} & set(categories) else "none"), categories
        if self._is_past(message, start, end) or self._reported_command(message, start):
            return "concern", categories
        if message.cue_in_sentence("creative", start) or self._legal_question(message, start):
            # "a poem about wanting to die", "is it legal for my parents to hit me": check in gently
            return "concern", categories
        level = rule.level
        if rule.when_parent is not None and subject in self.lexicon.parental_subjects:
            level, categories = rule.when_parent
        if level in ("none", "concern"):
            return level, categories
        return self._adjust(message, rule, start, end, subject, level), categories

    def _adjust(self, message: Message, rule: Rule, start: int, end: int, subject: str, level: str) -> str:
        """Escalate on intent or timing; soften for jokes, hyperbole and conditions."""
        humor = message.has_cue("humor") and not message.has_cue("serious")
        condition = self._condition_after(message, end)
        if self._escalates(message, rule, start) and not condition:
            level = "imminent"
        joking = message.has_cue("joke") and not message.has_cue("serious")
        if rule.bare_intent and not (condition or humor or joking) and self._bare(message, start):
            # Protocol: a counselor treats a stated intent to kill oneself ("kms", "kms fr") as imminent
            # until assessed; a wish or a thought ("i want to kms", "i wish i was dead") stays urgent.
            level = "imminent"
        if rule.conditional and condition and humor:
            return "concern"
        if rule.soft and humor:
            return "concern"
        if message.has_cue("joke") and not message.has_cue("serious") and level != "imminent":
            return "concern"
        if subject in rule.hyperbole_subjects and not message.cue_outside("threat_context", start, end):
            return "none" if (condition or humor) else "concern"
        if any(message.has_cue(cue) for cue in rule.unless):
            return "concern"
        return level

    def _judge_cooccur(self, message: Message, rule: Rule) -> Finding | None:
        present = [
            (name, span)
            for name in rule.cues
            for span in message.cues.get(name, ())
            if not self._negated(message, span[0])
        ]
        if len({name for name, _ in present}) < rule.min_cues:
            return None
        if any(message.has_cue(f) for f in ("media", "info")):
            return None
        first = min(span[0] for _, span in present)
        past = message.has_cue("past_time") and not (message.has_cue("ongoing") or message.has_cue("recent_time"))
        humor = message.has_cue("humor") and not message.has_cue("serious")
        level = "concern" if past or (rule.soft and humor) else rule.level
        categories = rule.categories
        if rule.family_adds and any(self._subject_class(w) in self.lexicon.parental_subjects for w in message.words):
            categories = (*categories, *rule.family_adds)
        evidence = tuple(message.evidence(s, e) for _, (s, e) in sorted(present, key=lambda p: p[1]))
        return Finding(level, categories, first, evidence)

    # -- scope features ---------------------------------------------------------------------------

    def _surface_ok(self, message: Message, rule: Rule, start: int, end: int) -> bool:
        following = message.words[end] if end < len(message.words) else None
        if following is not None and following in rule.not_followed_by:
            return False
        if rule.at_clause_end and following is not None and following not in self.lexicon.clause_breaks:
            return False
        if rule.min_number is not None:
            return any(_number(w) >= rule.min_number for w in message.words[start:end])
        return True

    def _subject_class(self, word: str) -> str | None:
        return self.lexicon.subjects.get(word)

    def _subject(self, message: Message, start: int, include_object: bool) -> str:
        """Class of the nearest person word before `start` in its clause ("none" when there is none).

        With include_object, "me" counts as the speaker ("this show makes me want to die")."""
        clause_start = message.clause(start)[0]
        for i in range(start - 1, max(clause_start, start - SUBJECT_WINDOW) - 1, -1):
            word = message.words[i]
            if include_object and word == "me":
                return "self"
            found = self._subject_class(word) or self._subject_class(message.lemmas[i])
            if found is not None:
                return found
        return "none"

    def _frame(self, message: Message, start: int, speaker: str) -> str | None:
        """A film, song, class or news item about someone else; or a general question about the law."""
        if speaker == "self":
            return None
        if message.cue_in_sentence("media", start):
            return "media"
        if speaker in ("generic", "you", "none") and message.cue_in_sentence("info", start):
            return "info"
        return None

    def _negated(self, message: Message, start: int) -> bool:
        clause_start = message.clause(start)[0]
        i = start - 1
        while i >= max(clause_start, start - NEGATION_WINDOW) and message.words[i] in self.lexicon.negation_fillers:
            i -= 1
        if i < clause_start:
            return False
        word = message.words[i]
        if word == "one" and i > clause_start and message.words[i - 1] == "no":  # "no one is hurting me"
            return True
        if word == "no" and i + 1 < len(message.words) and message.words[i + 1] in ("one", "more"):
            return False
        return word in self.lexicon.negators or self._subject_class(word) == "nobody"

    def _is_past(self, message: Message, start: int, end: int) -> bool:
        if message.cue_in_clause("recent_time", start) or message.cue_in_clause("ongoing", start):
            return False
        if message.cue_in_clause("past_time", start) or message.cue_in_clause("resolved_here", start):
            return True
        if not message.has_cue("resolved"):
            return False
        clause_start, _ = message.clause(start)
        return any(w in self.lexicon.past_verbs for w in message.words[clause_start:end])

    def _legal_question(self, message: Message, start: int) -> bool:
        sentence = message.sentence_of[start]
        first = next((i for i, s in enumerate(message.sentence_of) if s == sentence), start)
        return message.words[first] in self.lexicon.question_starts and message.cue_in_sentence("legal_question", start)

    def _asking(self, message: Message, start: int) -> bool:
        """"how can i tell if a friend is being trafficked", "will my therapist tell my parents if i say
        i self harm": a question about what to do or what something means, not a disclosure."""
        if not message.cue_in_clause("asking", start) or message.cue_in_clause("now", start):
            return False
        clause_start = message.clause(start)[0]
        sentence = message.sentence_of[start]
        first = next((i for i, s in enumerate(message.sentence_of) if s == sentence), start)
        return (message.words[first] in self.lexicon.question_starts
                or message.words[clause_start] in self.lexicon.question_starts)

    def _reported_command(self, message: Message, start: int) -> bool:
        """"he told me to kill myself" is bullying to take seriously; voices saying it are a crisis."""
        return message.cue_before("instructed", start, 0) and not message.cue_in_clause("inner_voice", start)

    def _escalates(self, message: Message, rule: Rule, start: int) -> bool:
        if "intent" in rule.escalate and message.cue_before("intent", start, INTENT_WINDOW):
            return True
        return "now" in rule.escalate and message.cue_in_clause("now", start)

    def _bare(self, message: Message, start: int) -> bool:
        """Nothing but a subject or a filler ("i", "just", "ok") opens the clause before the match: no
        "want to", "should", "might", "thinking of" that would make it a wish or a thought."""
        clause_start = message.clause(start)[0]
        return all(w in self.lexicon.bare_leads for w in message.words[clause_start:start])

    def _condition_after(self, message: Message, end: int) -> bool:
        """A condition after the match ("i'll kms if this wifi dies lol") or opening its clause
        ("if i have to hear that song again im gonna kms lol")."""
        clause_start, clause_end = message.clause(end - 1)
        if message.words[clause_start] in self.lexicon.conditionals:
            return True
        clause_end = min(clause_end, end + CONDITION_WINDOW)
        return any(w in self.lexicon.conditionals for w in message.words[end:clause_end])

    def _family_before(self, message: Message, start: int) -> bool:
        clause_start = message.clause(start)[0]
        window = range(max(clause_start, start - FAMILY_WINDOW), start)
        return any(self._subject_class(message.lemmas[i]) in self.lexicon.parental_subjects
                   or self._subject_class(message.words[i]) in self.lexicon.parental_subjects for i in window)


# ---------------------------------------------------------------------------------------------------
# rules + model
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleReading:
    text: str  # normalized, as the model reads it
    findings: tuple[Finding, ...]
    verdict: CrisisVerdict  # the rules' verdict alone
    model_ceiling: str  # "none", "guarded" or "urgent": how far the model may lift the message
    extras: tuple[str, ...] = ()  # the rules' reading as model features (`_model_extras`)


def combine(
    reading: RuleReading, probabilities: Mapping[str, float] | None,
    urgent_threshold: float = URGENT_THRESHOLD, concern_threshold: float = CONCERN_THRESHOLD,
    guarded_threshold: float = GUARDED_THRESHOLD,
) -> CrisisVerdict:
    """The rules' verdict, lifted by the model where the rules allow it (see the module docstring). A rule crisis
    keeps its level and categories and gains the categories the model is sure of: "he has a gun and he hit me"
    matched an abuse rule only, and the danger_now the model reads puts 911 first."""
    if probabilities is None:
        return reading.verdict
    if reading.verdict.is_crisis:
        return _with_model_categories(reading.verdict, probabilities)
    if reading.model_ceiling == "none":
        return reading.verdict
    p = probabilities.get("crisis", 0.0)
    ranked = sorted(CATEGORIES, key=lambda c: (-probabilities.get(c, 0.0), CATEGORIES.index(c)))
    snippet = reading.text.strip()[:MODEL_EVIDENCE_CHARS]
    needed = urgent_threshold if reading.model_ceiling == "urgent" else guarded_threshold
    if p >= needed:
        categories = tuple(c for c in ranked if probabilities.get(c, 0.0) >= CATEGORY_THRESHOLD) or (ranked[0],)
        finding = Finding("urgent", categories, 0, (f"model {p:.2f}: {snippet}",))
        return _verdict([*reading.findings, finding])
    if p >= concern_threshold and reading.verdict.level == "none":
        top = ranked[0]
        categories = (top,) if probabilities.get(top, 0.0) >= CATEGORY_THRESHOLD else ()
        finding = Finding("concern", categories, 0, (f"model {p:.2f} (check-in): {snippet}",))
        return _verdict([*reading.findings, finding])
    return reading.verdict


def _fold_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _with_model_categories(verdict: CrisisVerdict, probabilities: Mapping[str, float]) -> CrisisVerdict:
    added = tuple(c for c in CATEGORIES if c not in verdict.categories
                  and probabilities.get(c, 0.0) >= CATEGORY_THRESHOLD)
    if not added:
        return verdict
    note = "model adds " + ", ".join(f"{c} {probabilities[c]:.2f}" for c in added)
    evidence = (*verdict.evidence[:MAX_EVIDENCE_ITEMS - 1], note)
    return CrisisVerdict(verdict.level, (*verdict.categories, *added), evidence)


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


_ASCII_PUNCT_RUN = re.compile(r"[!-/:-@\[-`{-~]{6,}")
_REPEATED_SYMBOL = re.compile(r"([^\w\s])\1{3,}")


def _as_text(text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return "" if text is None else str(text)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (a swap of neighbours counts as one edit)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def _overlaps_any(span: Span, others: Iterable[Span]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _longest_per_rule(hits: list[tuple[Rule, int, int]]) -> list[tuple[Rule, int, int]]:
    """Patterns of one rule often match nested spans ("want to die", "i want to die"): keep the outer."""
    kept: list[tuple[Rule, int, int]] = []
    for rule, start, end in sorted(hits, key=lambda h: (h[1], -h[2])):
        if any(r is rule and s <= start and end <= e for r, s, e in kept[-8:]):
            continue
        kept.append((rule, start, end))
    return kept


def _number(word: str) -> int:
    digits = word.replace(",", "")
    if digits.isdigit() and len(digits) < 10:
        return int(digits)
    return _NUMBER_WORDS.get(word, 0)


def _verdict(findings: list[Finding]) -> CrisisVerdict:
    level = max_level(f.level for f in findings)
    if level == "none":
        return CrisisVerdict()
    ranked = sorted(findings, key=lambda f: (-level_rank(f.level), f.start))
    categories: list[str] = []
    for finding in ranked:
        for category in sorted(finding.categories, key=CATEGORIES.index):
            if category not in categories:
                categories.append(category)
    evidence: dict[str, None] = {}  # ordered and unique
    for finding in sorted(findings, key=lambda f: f.start):
        evidence.update((e, None) for e in finding.evidence if e)
    return CrisisVerdict(level=level, categories=tuple(categories), evidence=tuple(evidence)[:MAX_EVIDENCE_ITEMS])
