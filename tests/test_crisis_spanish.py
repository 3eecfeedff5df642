"""The crisis layer in Spanish: the lexicon (bot/crisis/patterns/es.yml), the Spanish statistical model
(bot/crisis/model/es.npz), the screen reading both languages, and the Spanish protocol texts. The `holdout` split
of eval_es.tsv is never trained on; only its measured floor is asserted."""

from __future__ import annotations

import pytest

from bot.crisis.batches import HoldoutIndex, holdout_rows
from bot.crisis.crossval import fold_of
from bot.crisis.detector import THRESHOLDS, CrisisDetector, combine, model_features, train_model, training_fingerprint
from bot.crisis.evaluate import (
    DEFAULT_TSVS,
    TRAIN_SPLITS,
    ScreenReader,
    label,
    read_rows,
    score,
    training_data,
    training_rows,
)
from bot.crisis.screen import CrisisScreen


@pytest.fixture(scope="module")
def spanish() -> CrisisDetector:
    return CrisisDetector("es")


@pytest.mark.parametrize("text", ["ya no quiero vivir", "me quiero morir", "me corto", "mi padrote me pega",
                                  "tengo que sacar la cuota o mi daddy me pega", "me voy a matar esta noche"])
def test_spanish_crises_are_urgent(spanish: CrisisDetector, text: str) -> None:
    assert spanish.detect(text).is_crisis, text


@pytest.mark.parametrize("text", ["me muero de hambre", "esta tarea me mata", "me muero de risa jajaja",
                                  "me toca lavar los trastes", "me corté el pelo", "la vida es dura",
                                  "necesito un lugar para quedarme", "me puedes contarme algo",
                                  "no estoy segura si ir mañana"])
def test_spanish_idioms_are_not_crises(spanish: CrisisDetector, text: str) -> None:
    assert spanish.detect(text).level == "none", text


# The gaps a blind Spanish set found, as general patterns (the sentences here are not in the training rows):
# a clitic before the verb phrase, a weapon where the speaker is, "abusó de mí", touching, forced acts, the boss.
@pytest.mark.parametrize("text", [
    "me voy a cortar otra vez", "me quiero lastimar", "me dan ganas de quemar mi brazo", "me volví a lastimar",
    "hay un señor afuera con una navaja", "mi padrastro está en la puerta con un machete",
    "me está apuntando con una pistola", "me está golpeando", "no me deja salir de la casa",
    "me tiene encerrada", "el patrón dice que le debo mucho y me cobra la comida",
    "me obligan a acostarme con clientes", "mi vecino abusó de mí", "me tocó mientras estaba dormida",
    "mañana ya no voy a estar",
])
def test_spanish_rules_cover_the_blind_gaps(text: str) -> None:
    assert CrisisDetector("es", use_model=False).detect(text).is_crisis, text


@pytest.mark.parametrize("text", ["me voy a cortar el pelo", "mi patrón me paga los viernes",
                                  "me obligan a ir a la escuela", "tengo 500 dólares ahorrados"])
def test_spanish_rule_gaps_closed_without_new_false_alarms(text: str) -> None:
    assert CrisisDetector("es", use_model=False).detect(text).level == "none", text


def test_spanish_model_is_trained_on_the_current_rows(spanish: CrisisDetector) -> None:
    assert spanish.model is not None, "run: python -m bot.crisis.evaluate --train --language es"
    texts, labels, extras = training_data(spanish, training_rows("es"))
    assert spanish.model.fingerprint == training_fingerprint(texts, labels, extras), "stale: --train --language es"
    assert spanish.thresholds == THRESHOLDS["es"] and 0 < THRESHOLDS["es"].concern <= THRESHOLDS["es"].urgent < 1


def test_spanish_model_never_sees_the_holdout() -> None:
    trained = [r for r in training_rows("es") if r.split in TRAIN_SPLITS]
    assert trained and not any(r.split == "holdout" for r in trained)
    assert sum(r.split == "traffic" for r in trained) >= 1000  # ordinary Spanish navigator messages


def test_no_training_row_is_a_near_copy_of_a_holdout_row() -> None:
    """batches.py drops a new row too close to a hold-out row; this guards rows added any other way."""
    index = HoldoutIndex(holdout_rows())
    rows = [r for r in read_rows([DEFAULT_TSVS["es"]]) if r.split in TRAIN_SPLITS]
    close = [(r.text, near) for r in rows if (near := index.near(r.text)) is not None]
    assert not close, close[:5]
    assert index.near("wey ya no voy a estar mañana") is not None  # and the check can fire


def test_spanish_model_raises_recall_on_a_held_out_fold() -> None:
    """Train on four folds of the Spanish training rows, score the fifth: rules + model must find far more crises
    than the rules alone (it can fail: a model that learned nothing adds nothing)."""
    rows = [r for r in training_rows("es") if r.split in TRAIN_SPLITS]
    folds = fold_of(rows)
    rules = CrisisDetector("es", use_model=False)
    readings = [rules.rule_pass(r.text, always_extras=True) for r in rows]
    train = [i for i, f in enumerate(folds) if f != 0]
    model = train_model([readings[i].text for i in train], [label(rows[i]) for i in train], epochs=150,
                        extras=[readings[i].extras for i in train])
    held = [i for i, f in enumerate(folds) if f == 0 and rows[i].is_crisis]
    t = THRESHOLDS["es"]
    by_rules = sum(readings[i].verdict.is_crisis for i in held)
    combined = sum(combine(readings[i], model.probabilities(model_features(readings[i].text, readings[i].extras)),
                           t.urgent, t.concern, t.guarded).is_crisis for i in held)
    assert combined >= by_rules + 0.15 * len(held), (by_rules, combined, len(held))


def test_spanish_tune_split_meets_the_targets() -> None:
    rows = [r for r in read_rows([DEFAULT_TSVS["es"]]) if r.split == "tune"]
    assert len(read_rows([DEFAULT_TSVS["es"]])) >= 150
    result = score(ScreenReader("es"), rows)["tune"]
    assert result.recall >= 0.98 and result.fpr <= 0.05, (result.recall, result.fpr)


def test_screen_reads_spanish_in_an_english_conversation_and_answers_in_the_conversation_language() -> None:
    screen = CrisisScreen()
    verdict, lead = screen.screen("ya no quiero vivir", "en")
    assert verdict["level"] in ("urgent", "imminent") and "988" in lead[0]["text"]
    verdict, lead = screen.screen("ya no quiero vivir", "es")
    assert "marca 2" in lead[0]["text"] and "Hablar con una persona" in [b["title"] for b in lead[0]["buttons"]]
    verdict, _ = screen.screen("i want to kill myself", "es")
    assert verdict["level"] in ("urgent", "imminent")
    assert screen.screen("me muero de hambre", "es")[0]["level"] == "none"


# The Spanish hold-out (55 rows, never trained on) as measured with the Spanish model and thresholds from CV:
# recall 1.000 (30/30, was 0.933 with rules alone), FPR 0.120 (3/25, was 0.040: the model lifts two messages the
# rules left alone, and an idiom the rules already missed). Raise these whenever the detector improves.
SPANISH_HOLDOUT_FLOOR = {"recall": 1.0, "fpr": 0.12}


def test_spanish_holdout_does_not_fall_below_its_measured_floor() -> None:
    rows = [r for r in read_rows([DEFAULT_TSVS["es"]]) if r.split == "holdout"]
    result = score(ScreenReader("es"), rows)["holdout"]
    assert result.positives >= 30 and result.negatives >= 25
    assert result.recall >= SPANISH_HOLDOUT_FLOOR["recall"], result.recall
    assert result.fpr <= SPANISH_HOLDOUT_FLOOR["fpr"] + 1e-9, result.fpr


def test_ordinary_spanish_navigator_messages_rarely_get_the_protocol() -> None:
    """The Spanish NLU examples (searches, rights, caregivers, chitchat) are what the screen mostly reads; the
    thresholds allow the protocol on at most 2% of them out of fold (model/es.cv.txt); in sample it must stay
    below that."""
    from bot.crisis.evaluate import traffic_rows

    rows = traffic_rows("es")
    reader = ScreenReader("es")
    alarms = [r.text for r in rows if reader.detect(r.text).is_crisis]
    assert len(rows) >= 1000 and len(alarms) <= 0.02 * len(rows), alarms[:10]
