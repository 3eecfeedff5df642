"""Crisis detector: each behaviour the navigator relies on, the labeled evaluation, and properties."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.crisis import CATEGORIES, LEVELS, CrisisDetector, CrisisVerdict
from bot.crisis.crossval import fold_of
from bot.crisis.detector import (
    CONCERN_THRESHOLD,
    URGENT_THRESHOLD,
    combine,
    load_lexicon,
    model_features,
    train_model,
    training_fingerprint,
)
from bot.crisis.evaluate import (
    BLIND_SPLITS,
    DEFAULT_TSV,
    MAX_FPR,
    MIN_RECALL,
    label,
    read_rows,
    score,
    training_data,
    training_rows,
)

CRISIS = {"urgent", "imminent"}


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector()


@pytest.fixture(scope="module")
def second_detector() -> CrisisDetector:
    return CrisisDetector()


def check(detector: CrisisDetector, text: str) -> CrisisVerdict:
    # analyse() has no safety net, so a bug fails the test instead of becoming "concern"
    return detector.analyse(text)


# --- the examples in the brief -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i cant do this anymore", "suicidal"),
        ("kms", "suicidal"),
        ("he locked me in the motel room", "danger_now"),
        ("my daddy says i owe him 500 tonight", "trafficked_now"),
    ],
)
def test_messages_youth_actually_write_are_crises(detector: CrisisDetector, text: str, category: str) -> None:
    verdict = check(detector, text)
    assert verdict.is_crisis, verdict
    assert category in verdict.categories


def test_crisis_in_the_middle_of_an_unrelated_exchange(detector: CrisisDetector) -> None:
    verdict = check(detector, "ok thanks for the bus info. honestly i cant do this anymore. anyway where is it")
    assert verdict.is_crisis and "suicidal" in verdict.categories


def test_being_held_is_imminent_and_trafficking(detector: CrisisDetector) -> None:
    verdict = check(detector, "he locked me in the motel room")
    assert verdict.level == "imminent"
    assert {"danger_now", "trafficked_now"} <= set(verdict.categories)


# --- negation and tense --------------------------------------------------------------------------


def test_denial_is_at_most_concern(detector: CrisisDetector) -> None:
    assert check(detector, "i'm not gonna kill myself, i just need a bed").level in ("none", "concern")


@pytest.mark.parametrize(
    "text",
    ["nobody is hurting me, i just need clothes", "i'm not being trafficked i just need a job", "he didn't hit me"],
)
def test_negated_harm_is_not_a_crisis(detector: CrisisDetector, text: str) -> None:
    assert not check(detector, text).is_crisis


def test_negation_does_not_swallow_ideation(detector: CrisisDetector) -> None:
    for text in ("i can't stop thinking about killing myself", "i'm not sure i want to live", "no, i want to die"):
        assert check(detector, text).is_crisis, text


def test_stated_intent_is_imminent(detector: CrisisDetector) -> None:
    assert check(detector, "i'm going to kill myself").level == "imminent"
    assert check(detector, "i'm ending it tonight").level == "imminent"
    assert check(detector, "i'm going to end it").level == "imminent"


@pytest.mark.parametrize("text", ["kms", "kms fr", "kmsss", "kms. im done", "i kms tonight", "ok kms"])
def test_bare_kms_states_intent_and_is_imminent(detector: CrisisDetector, text: str) -> None:
    # Protocol: a counselor treats a stated intent to kill oneself as imminent until assessed.
    verdict = check(detector, text)
    assert verdict.level == "imminent" and "suicidal" in verdict.categories, verdict


@pytest.mark.parametrize(
    "text", ["i want to die", "wish i wasnt here", "i wanna kms", "i should kms", "lowkey want to kms"],
)
def test_wishes_and_thoughts_without_intent_stay_urgent(detector: CrisisDetector, text: str) -> None:
    assert check(detector, text).level == "urgent"


@pytest.mark.parametrize("text", ["kys lol jk", "kys bro you suck at this game", "lol kms i forgot my charger"])
def test_kys_at_someone_else_or_kms_as_a_joke_is_not_imminent(detector: CrisisDetector, text: str) -> None:
    assert check(detector, text).level != "imminent"


def test_thoughts_with_an_explicit_denial_of_acting_get_a_check_in(detector: CrisisDetector) -> None:
    assert check(detector, "i think about dying a lot but i'd never actually do it").level == "concern"
    assert check(detector, "i want to die, i cant do anything right").level == "urgent"


def test_ideation_without_plan_is_urgent(detector: CrisisDetector) -> None:
    assert check(detector, "i want to die").level == "urgent"


def test_past_and_resolved_is_concern(detector: CrisisDetector) -> None:
    assert check(detector, "i tried to kill myself last year, doing better now").level == "concern"
    assert check(detector, "i was in the life for 2 years but i got out last spring").level == "concern"


def test_recent_events_stay_urgent(detector: CrisisDetector) -> None:
    assert check(detector, "i was raped last night").is_crisis
    assert check(detector, "i cut myself again last night").is_crisis


# --- who it is about -----------------------------------------------------------------------------


def test_caregiver_reports_about_a_child(detector: CrisisDetector) -> None:
    verdict = check(detector, "my foster daughter says she wants to die")
    assert verdict.level == "urgent" and verdict.categories == ("suicidal",)
    assert check(detector, "my son told me he wants to kill himself").is_crisis


def test_kys_counts_only_when_aimed_at_oneself(detector: CrisisDetector) -> None:
    assert check(detector, "i should just kys honestly").is_crisis
    assert not check(detector, "u should kys").is_crisis
    assert not check(detector, "my friend is always like kys lol so annoying").is_crisis


def test_news_and_media_about_someone_else_are_not_crises(detector: CrisisDetector) -> None:
    for text in (
        "watched a doc about trafficking",
        "did you see the news about that girl who killed herself at the mall",
        "reading a book about a girl who was sex trafficked for my english essay",
        "the song about the girl who jumps off a bridge made me cry",
    ):
        assert check(detector, text).level == "none", text


# --- slang, euphemism, misspelling ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i'm gonna unalive myself", "suicidal"),
        ("been thinking about sewerslide again", "suicidal"),
        ("💊🪦", "suicidal"),
        ("i want to kil myslef", "suicidal"),
        ("thinking about suiside a lot", "suicidal"),
        ("i'm in the life and i want out", "trafficked_now"),
        ("he puts me on the track every night", "trafficked_now"),
        ("daddy says if i dont make quota im sleeping outside", "trafficked_now"),
        ("he takes all my money", "trafficked_now"),
        ("my bf makes me sleep with his friends for money", "trafficked_now"),
        ("i owe him money and he says i have to work it off with his friends", "trafficked_now"),
        ("i relapsed on sh", "self_harm"),
        ("i got sa'd yesterday", "sexual_violence"),
        ("he od'd and wont wake up", "medical_emergency"),
        ("ＩＭ ＧＯＮＮＡ ＫＭＳ", "suicidal"),
        ("i wanna diiiie", "suicidal"),
    ],
)
def test_slang_and_typos(detector: CrisisDetector, text: str, category: str) -> None:
    verdict = check(detector, text)
    assert verdict.is_crisis and category in verdict.categories, verdict


# --- idioms and everyday words -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "this test is killing me 😂",
        "i'm dying of laughter",
        "i could kill for a burger",
        "lmaooo i'm dead 💀",
        "ugh i want to die of embarrassment",
        "i'm dying my hair pink",
        "i feel like dying my hair black",
        "i'm going to the track meet saturday",
        "my daddy is picking me up from school",
        "my quota at work is 40 calls a day",
        "i need to cut my hair so bad",
        "he hit me up last night asking to hang",
        "i took my meds this morning",
    ],
)
def test_idioms_are_not_crises(detector: CrisisDetector, text: str) -> None:
    assert check(detector, text).level == "none", text


def test_parent_threat_idiom_is_never_urgent(detector: CrisisDetector) -> None:
    assert not check(detector, "my mom will kill me if i'm late").is_crisis
    assert not check(detector, "my dad is gonna kill me when he sees my grades").is_crisis
    # the same words from someone else, or with a real threat around them, are a crisis
    assert check(detector, "he said he's going to kill me").is_crisis
    assert check(detector, "my stepdad has a gun and said he's going to kill me").is_crisis


@pytest.mark.parametrize(
    "text",
    [
        "need somewhere to sleep tonight in oakland",
        "stop",
        "STOP",
        "can you stop sending me so many messages",
        "is it illegal for an 18 year old to date a 16 year old in california",
        "is prostitution illegal for minors in california",
        "what counts as trafficking legally",
    ],
)
def test_requests_and_law_questions_are_not_crises(detector: CrisisDetector, text: str) -> None:
    assert check(detector, text).level == "none", text


@pytest.mark.parametrize("text", ["i feel so alone", "nobody cares about me", "i hate myself"])
def test_distress_without_danger_is_concern(detector: CrisisDetector, text: str) -> None:
    assert check(detector, text).level == "concern"


def test_humor_softens_hyperbole_but_not_explicit_ideation(detector: CrisisDetector) -> None:
    assert check(detector, "i hate my life i want to die lol").is_crisis
    assert not check(detector, "lol i'm gonna kill myself if i have to sit through another lecture").is_crisis
    assert not check(detector, "my friend keeps saying kms as a joke").is_crisis


# --- levels that mean "call now" -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("he's outside the door", "danger_now"),
        ("i took a bunch of pills", "medical_emergency"),
        ("i took like 30 tylenol an hour ago", "medical_emergency"),
        ("i cut too deep and it wont stop bleeding", "medical_emergency"),
        ("help me please he's hitting me", "danger_now"),
        ("i have the pills ready. tonight is the night", "suicidal"),
    ],
)
def test_imminent(detector: CrisisDetector, text: str, category: str) -> None:
    verdict = check(detector, text)
    assert verdict.level == "imminent" and category in verdict.categories, verdict


def test_evidence_names_the_words_for_the_advocate(detector: CrisisDetector) -> None:
    verdict = check(detector, "hey so um kms lol")
    assert verdict.evidence and any("kms" in e for e in verdict.evidence)
    assert check(detector, "where can i get free food in fresno").evidence == ()


# --- the verdict object --------------------------------------------------------------------------


def test_verdict_round_trips_through_a_dict() -> None:
    verdict = CrisisVerdict("imminent", ("danger_now", "trafficked_now"), ("locked me in",))
    data = verdict.to_dict()
    assert data == {"level": "imminent", "categories": ["danger_now", "trafficked_now"], "evidence": ["locked me in"]}
    assert CrisisVerdict.from_dict(data) == verdict
    assert verdict.is_crisis and not CrisisVerdict("concern").is_crisis


def test_verdict_rejects_unknown_values() -> None:
    with pytest.raises(ValueError):
        CrisisVerdict("panic")
    with pytest.raises(ValueError):
        CrisisVerdict("urgent", ("sad",))


# --- robustness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😂😂😂",
        "🙏" * 2000,
        "x" * 10_000,
        ("i want to die " * 800)[:10_000],
        "\x00\x07\x1b[31mred\x7f\u202e\ufeff",
        "\ud800 lone surrogate",
        "привет, как дела?",
        "我想死",
        "مرحبا كيف حالك",
        "i\u200bwant\u200bto\u200bdie",
        "\n\n\t\r",
        "$$$ 99999999999999999999999999 pills took",
    ],
)
def test_never_crashes_on_odd_input(detector: CrisisDetector, text: str) -> None:
    verdict = check(detector, text)
    assert verdict.level in LEVELS


def test_zero_width_spaces_do_not_hide_words(detector: CrisisDetector) -> None:
    assert check(detector, "i\u200bwant\u200bto\u200bdie").is_crisis


def test_non_string_input_is_handled(detector: CrisisDetector) -> None:
    assert detector.detect(None).level == "none"  # type: ignore[arg-type]
    assert detector.detect(b"i want to die").is_crisis  # type: ignore[arg-type]


def test_detect_is_thread_safe(detector: CrisisDetector) -> None:
    texts = [row.text for row in read_rows([DEFAULT_TSV])][:120] * 4
    expected = [detector.detect(t) for t in texts]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(detector.detect, texts)) == expected


def test_lexicon_words_are_words_not_yaml_booleans() -> None:
    lexicon = load_lexicon("en")
    assert {"no", "not", "never"} <= lexicon.negators
    assert "off" in lexicon.classes["kill_verb"]


def test_every_language_file_builds() -> None:
    for path in (Path(__file__).resolve().parents[1] / "bot" / "crisis" / "patterns").glob("*.yml"):
        assert CrisisDetector(path.stem).analyse("hello").level == "none"


# --- the labeled evaluation set ------------------------------------------------------------------


def test_evaluation_set_is_well_formed() -> None:
    rows = read_rows([DEFAULT_TSV])
    assert len(rows) >= 1000
    assert len({r.text for r in rows}) == len(rows)
    assert {r.split for r in rows} == {"tune", "seen"}
    for split in ("tune", "seen"):
        part = [r for r in rows if r.split == split]
        assert sum(not r.is_crisis for r in part) >= 0.3 * len(part), split
        for category in CATEGORIES:
            assert any(category in r.categories and r.is_crisis for r in part), (split, category)


@pytest.fixture(scope="module")
def scores(detector: CrisisDetector) -> dict:
    return score(detector, read_rows([DEFAULT_TSV]))


# Every split in the data file except a blind one (the blind hold-out gets its own test, run by whoever holds it).
_SCORED_SPLITS = sorted({r.split for r in read_rows([DEFAULT_TSV])} - BLIND_SPLITS)


def test_tune_split_is_scored() -> None:
    assert "tune" in _SCORED_SPLITS and "seen" in _SCORED_SPLITS


@pytest.mark.parametrize("split", _SCORED_SPLITS)
def test_evaluation_targets(scores: dict, split: str) -> None:
    result = scores[split]
    assert result.positives and result.negatives, split
    assert result.recall >= MIN_RECALL, (split, result.recall, [r.text for r, _ in result.errors])
    assert result.fpr <= MAX_FPR, (split, result.fpr, [r.text for r, _ in result.errors])


def test_targets_can_fail() -> None:
    """The scorer really counts misses and false alarms (a detector that flags nothing fails recall)."""
    rows = read_rows([DEFAULT_TSV])

    class Silent:
        def detect(self, text: str) -> CrisisVerdict:
            return CrisisVerdict()

    class Alarmed:
        def detect(self, text: str) -> CrisisVerdict:
            return CrisisVerdict("urgent", ("suicidal",), ("x",))

    silent = score(Silent(), rows)["tune"]  # type: ignore[arg-type]
    alarmed = score(Alarmed(), rows)["tune"]  # type: ignore[arg-type]
    assert silent.recall == 0.0 and not silent.passes
    assert alarmed.fpr == 1.0 and not alarmed.passes


# --- the statistical second opinion --------------------------------------------------------------


def test_model_is_trained_on_the_current_tune_rows(detector: CrisisDetector) -> None:
    assert detector.model is not None, "run: python -m bot.crisis.evaluate --train"
    texts, labels, extras = training_data(detector, training_rows())
    assert detector.model.fingerprint == training_fingerprint(texts, labels, extras), "stale model: evaluate --train"


def test_training_is_deterministic() -> None:
    texts = ["i want to die", "where is the shelter", "he hits me", "lol ok", "i took a bunch of pills", "hi"]
    labels = [("crisis", "suicidal"), (), ("crisis", "abuse"), (), ("crisis", "medical_emergency"), ()]
    first, second = train_model(texts, labels, epochs=30), train_model(texts, labels, epochs=30)
    assert (first.weights == second.weights).all() and (first.bias == second.bias).all()
    assert first.probabilities(model_features("i want to die"))["crisis"] > 0.5


def test_model_never_overrules_a_scoped_rule(detector: CrisisDetector) -> None:
    # negated, past, joking or media messages keep the rules' answer even when the words look dangerous
    for text in ("i'm not gonna kill myself, i just need a bed", "this test is killing me 😂",
                 "watched a doc about trafficking", "i tried to kill myself last year, doing better now"):
        assert not check(detector, text).is_crisis, text


def test_rules_alone_still_work() -> None:
    rules_only = CrisisDetector(use_model=False)
    assert rules_only.model is None
    assert rules_only.analyse("kms").is_crisis and not rules_only.analyse("hi").is_crisis
    assert 0 < CONCERN_THRESHOLD <= URGENT_THRESHOLD < 1


def test_a_model_verdict_says_so_for_the_advocate(detector: CrisisDetector) -> None:
    reading = detector.rule_pass("zzqx blorp")
    assert reading.model_ceiling == "urgent" and reading.verdict.level == "none"
    urgent = combine(reading, {"crisis": 0.97, "suicidal": 0.9, "self_harm": 0.6, "abuse": 0.1})
    assert urgent.level == "urgent" and urgent.categories == ("suicidal", "self_harm")
    assert urgent.evidence[0].startswith("model 0.97")
    # The shipped thresholds may meet (no check-in band); the band itself is tested with a wider pair.
    check_in = combine(reading, {"crisis": 0.5, "abuse": 0.8}, urgent_threshold=0.7, concern_threshold=0.3)
    assert check_in.level == "concern" and check_in.categories == ("abuse",)
    assert "model" in check_in.evidence[0]
    assert combine(reading, {"crisis": CONCERN_THRESHOLD / 2}).level == "none"


def test_a_rule_crisis_keeps_the_rule_verdict(detector: CrisisDetector) -> None:
    reading = detector.rule_pass("he locked me in the motel room")
    assert combine(reading, {"crisis": 0.0}) == reading.verdict
    assert reading.verdict.level == "imminent"


def test_a_rule_crisis_gains_the_categories_the_model_is_sure_of(detector: CrisisDetector) -> None:
    reading = detector.rule_pass("he locked me in the motel room")
    lifted = combine(reading, {"crisis": 0.9, "abuse": 0.8, "suicidal": 0.2})
    assert lifted.level == reading.verdict.level
    assert lifted.categories == (*reading.verdict.categories, "abuse")  # the rules' categories still lead
    assert lifted.evidence[-1].startswith("model adds abuse")


def test_model_path_raises_recall_on_a_held_out_fold() -> None:
    """Train on four folds of eval_en.tsv, score the fifth: rules + model must find more crises than rules alone
    (and this can fail: a model that learned nothing adds nothing)."""
    rows = [r for r in read_rows([DEFAULT_TSV]) if r.split in ("tune", "seen")]
    folds = fold_of(rows)
    rules = CrisisDetector(use_model=False)
    readings = [rules.rule_pass(r.text, always_extras=True) for r in rows]
    train = [i for i, f in enumerate(folds) if f != 0]
    model = train_model([readings[i].text for i in train], [label(rows[i]) for i in train], epochs=150,
                        extras=[readings[i].extras for i in train])
    held = [i for i, f in enumerate(folds) if f == 0 and rows[i].is_crisis]
    by_rules = sum(readings[i].verdict.is_crisis for i in held)
    combined = sum(
        combine(readings[i], model.probabilities(model_features(readings[i].text, readings[i].extras))).is_crisis
        for i in held)
    assert combined >= by_rules + 0.03 * len(held), (by_rules, combined, len(held))


# --- properties ----------------------------------------------------------------------------------

_WORDS = ["i", "kms", "not", "he", "me", "my", "want", "to", "die", "kill", "myself", "lol", "daddy", "owe", "him",
          "500", "tonight", "the", "life", "track", "never", "pills", "took", "bunch", "outside", "door", "if",
          "mom", "will", "💊", "🪦", "😂", "💀", ",", ".", "!", "?", "\n", "'s", "n't", "cant", "anymore", "used"]
_PHRASES = st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), max_size=40).map(" ".join)
_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(text=st.one_of(st.text(max_size=400), _PHRASES))
def test_random_text_never_crashes_and_fields_are_valid(detector: CrisisDetector, text: str) -> None:
    verdict = check(detector, text)
    assert verdict.level in LEVELS
    assert set(verdict.categories) <= set(CATEGORIES)
    assert len(set(verdict.categories)) == len(verdict.categories)
    assert all(isinstance(e, str) and e for e in verdict.evidence)
    assert verdict.is_crisis == (verdict.level in CRISIS)
    if verdict.level == "none":
        assert verdict.categories == () and verdict.evidence == ()
    if verdict.is_crisis:
        assert verdict.categories and verdict.evidence
    assert CrisisVerdict.from_dict(verdict.to_dict()) == verdict


@_SETTINGS
@given(text=st.one_of(st.text(max_size=200), _PHRASES))
def test_detect_is_deterministic(detector: CrisisDetector, second_detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) == detector.detect(text) == second_detector.detect(text)


# --- the development set ----------------------------------------------------------------------------
# tests/crisis/holdout2_en.tsv was written by someone who never saw the detector or its data; it has since
# been read for failure types (a dev set, not blind) but none of its rows or paraphrases are trained on.
# It does not meet the targets yet (see BENCHMARKS.md); this guards the measured figures so a
# change that generalizes worse fails, and the floor is raised whenever the detector improves.
HOLDOUT2 = DEFAULT_TSV.parent / "holdout2_en.tsv"
# measured: 0.9577 (294/307) and 0.148 (27/183), with batch v7 trained on; was 0.954 / 0.148, before that 0.912 / 0.208
HOLDOUT2_FLOOR = {"recall": 0.957, "fpr": 0.148}


def test_blind_holdout_does_not_fall_below_its_measured_floor(detector: CrisisDetector) -> None:
    result = score(detector, read_rows([HOLDOUT2]))["holdout2"]
    assert result.positives >= 250 and result.negatives >= 150
    assert result.recall >= HOLDOUT2_FLOOR["recall"], result.recall
    assert result.fpr <= HOLDOUT2_FLOOR["fpr"], result.fpr


@pytest.mark.parametrize("hostile", ["(" * 2000, "!?" * 1000, "😭" * 1000, "(a" * 1000, "a." * 1000,
                                     ".-" * 1000 + "i want to die"])
def test_hostile_input_cannot_stall_the_gateway(detector: CrisisDetector, hostile: str) -> None:
    """The screen runs inline on the event loop: no 2,000-character message may hold it for long."""
    import time

    detector.detect(hostile)  # warm caches for this shape
    started = time.perf_counter()
    detector.detect(hostile)
    assert time.perf_counter() - started < 0.05
