"""Never a dead end: the fallback and "talk to a person" always give a human and a 24/7 line."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import content
from actions.messages import send


class ActionOfferHelp(Action):
    """Fallback and out-of-scope: say what the bot can do, offer a person and two 24/7 lines."""

    def name(self) -> str:
        return "action_offer_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        key = "out_of_scope" if intent == "out_of_scope" else "fallback"
        send(dispatcher, words.text(key), buttons=[*words.buttons("find_button"), *words.buttons("person_button")])
        # An unclear message should not steer later predictions (Rasa's fallback pattern).
        return [UserUtteranceReverted()] if key == "fallback" else []


class ActionTalkToPerson(Action):
    """Records the request for the gateway (`handoff`) and gives the 24/7 lines meanwhile."""

    def name(self) -> str:
        return "action_talk_to_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        send(dispatcher, words.text("talk_to_person"), handoff="requested")
        return [SlotSet("pending_offer", None)]
