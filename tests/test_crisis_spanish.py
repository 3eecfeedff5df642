"""The crisis layer in Spanish: the lexicon (bot/crisis/patterns/es.yml), the screen reading both languages,
and the Spanish protocol texts. The `holdout` split of eval_es.tsv is never tuned on and not asserted here."""

from __future__ import annotations

import pytest

from bot.crisis.detector import CrisisDetector
from bot.crisis.evaluate import DEFAULT_TSVS, ScreenReader, read_rows, score
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
