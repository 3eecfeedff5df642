"""Never a dead end: the fallback and "talk to a person" always give a human and a 24/7 line."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import Content, content
from actions.directory import directory
from actions.insight import context
from actions.messages import send
from resources.query import parse_request


class ActionOfferHelp(Action):
    """Fallback and out-of-scope: say what the bot can do, offer a person and two 24/7 lines."""

    def name(self) -> str:
        return "action_offer_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = tracker.get_slot("language") or "en"
        words = content(language)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        key = "out_of_scope" if intent == "out_of_scope" else "fallback"
        text = str((tracker.latest_message or {}).get("text") or "")
        names_need = not text.startswith("/") and parse_request(text, directory().gazetteer, language).categories
        if key == "fallback" and names_need:
            # NLU was unsure, but the message names a kind of help: search rather than say "I didn't get that".
            return [FollowupAction("resource_form")]
        send(dispatcher, words.text(key), buttons=[*words.buttons("find_button"), *words.buttons("person_button")])
        # An unclear message should not steer later predictions (Rasa's fallback pattern).
        return [UserUtteranceReverted()] if key == "fallback" else []


class ActionTalkToPerson(Action):
    """Records the request for the gateway (`handoff`) and gives the 24/7 lines meanwhile."""

    def name(self) -> str:
        return "action_talk_to_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        hand_off(dispatcher, words, priority="crisis" if tracker.get_slot("crisis_level") else "normal",
                 tracker=tracker)
        return [SlotSet("pending_offer", None)]


def hand_off(dispatcher: CollectingDispatcher, words: Content, priority: str, tracker: Tracker | None = None) -> None:
    """Ask the gateway for a person (`handoff` control field) and give the 24/7 lines meanwhile; the search
    context goes along for the insight counters (actions/insight.py)."""
    extra = {"insight": context(tracker)} if tracker is not None else {}
    send(dispatcher, words.text("talk_to_person"), handoff="requested", handoff_priority=priority, **extra)
