"""The dialogue's side of the crisis protocol. The gateway has already answered with the right lines (it
screens every message before the engine sees it) and turned the message into the `crisis` intent; here the
dialogue pauses any search, remembers that a person was offered, and lets the youth pick up again later."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import content
from actions.insight import context
from actions.messages import send

ADVOCATE_OFFER = "advocate"
RESUME_OFFER = "resume_search"


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name:
            return str(entity.get("value"))
    return None


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        searching = (tracker.active_loop or {}).get("name") == "resource_form"
        level = _entity(tracker, "crisis_level")
        if level is None:
            # NLU alone heard a crisis the gateway's screen did not flag: nobody has given the lines yet.
            send(dispatcher, words.text("crisis_check_in"), buttons=words.buttons("person_button"))
        elif searching:
            # Said after the gateway's protocol message, so it stays one short line.
            send(dispatcher, words.text("crisis_search_paused"))
        # No words, only the search context the gateway counts this crisis protocol under (actions/insight.py).
        send(dispatcher, "", insight=context(tracker))
        return [
            SlotSet("pending_offer", ADVOCATE_OFFER),
            SlotSet("paused_search", searching or bool(tracker.get_slot("paused_search"))),
            SlotSet("crisis_level", level or "concern"),
        ]


class ActionCrisisSafe(Action):
    """"I'm safe right now": no pressure, the door stays open, and a paused search can go on."""

    def name(self) -> str:
        return "action_crisis_safe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        if tracker.get_slot("paused_search") and tracker.get_slot("need_category"):
            label = words.need_label(str(tracker.get_slot("need_category")).split(",")[0])
            send(dispatcher, words.text("crisis_safe_resume", need=label), buttons=words.buttons("yes_no_buttons"))
            return [SlotSet("pending_offer", RESUME_OFFER)]
        send(dispatcher, words.text("crisis_safe"),
             buttons=[*words.buttons("find_button"), *words.buttons("person_button")])
        return [SlotSet("pending_offer", None)]


def resume_search() -> list[EventType]:
    return [SlotSet("pending_offer", None), SlotSet("paused_search", False), FollowupAction("resource_form")]
