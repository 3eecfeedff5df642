"""Actions that answer with one text from the content file (plus its buttons): greetings, rights,
caregiver guidance and the like. Each is a one-line subclass, so the dialogue names stay explicit."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import content
from actions.messages import send


class TopicAction(Action, ABC):
    buttons_key: ClassVar[str | None] = None
    offer: ClassVar[str | None] = None  # what "yes" accepts after this message (see actions/offers.py)

    @property
    @abstractmethod
    def topic(self) -> str: ...

    def name(self) -> str:
        return f"action_{self.topic}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        buttons = words.buttons(self.buttons_key) if self.buttons_key else None
        send(dispatcher, words.text(self.topic), buttons=buttons)
        return [SlotSet("pending_offer", self.offer)]


class ActionGreet(TopicAction):
    topic = "greet"
    buttons_key = "menu_buttons"


class ActionCapabilities(TopicAction):
    topic = "capabilities"
    buttons_key = "menu_buttons"


class ActionGoodbye(TopicAction):
    topic = "goodbye"


class ActionThanks(TopicAction):
    topic = "thanks"
    buttons_key = "menu_buttons"


class ActionKnowRights(TopicAction):
    topic = "know_rights"
    buttons_key = "person_button"


class ActionReportingRules(TopicAction):
    topic = "reporting_rules"
    buttons_key = "person_button"


class ActionRanAway(TopicAction):
    topic = "ran_away"
    buttons_key = "ran_away_buttons"
    offer = "shelter"


class ActionCaregiverMenu(TopicAction):
    topic = "caregiver_menu"
    buttons_key = "caregiver_buttons"


class ActionWarningSigns(TopicAction):
    topic = "warning_signs"
    buttons_key = "person_button"


class ActionYouthMissing(TopicAction):
    topic = "youth_missing"
    buttons_key = "person_button"


class ActionPrivacy(TopicAction):
    """States what is stored, for how long (RETENTION_DAYS, as the gateway purges) and who sees it."""

    topic = "privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        send(dispatcher, words.text(self.topic, days=retention_days()))
        return [SlotSet("pending_offer", self.offer)]


def retention_days() -> int:
    value = os.environ.get("RETENTION_DAYS", "").strip()
    return max(1, int(value)) if value.isdigit() else 30


class ActionBotChallenge(TopicAction):
    topic = "bot_challenge"
    buttons_key = "person_button"


class ActionStopSearch(Action):
    def name(self) -> str:
        return "action_stop_search"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        send(dispatcher, words.text("stop_search"), buttons=words.buttons("menu_buttons"))
        return [SlotSet(name, None) for name in ("need_category", "search_page", "pending_offer", "unclear_answer",
                                                 "requested_slot")]
