"""Yes/no answers to what the bot just offered ("Want me to look for a place near you?", "More?")."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import content
from actions.crisis import ADVOCATE_OFFER, RESUME_OFFER, resume_search
from actions.help import hand_off
from actions.messages import send
from actions.search import show_page
from actions.search_state import SearchState


class ActionAnswerOffer(Action):
    def name(self) -> str:
        return "action_answer_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        offer = tracker.get_slot("pending_offer")
        if intent == "deny":
            send(dispatcher, words.text("offer_declined"), buttons=words.buttons("person_button"))
            return [SlotSet("pending_offer", None)]
        if offer == ADVOCATE_OFFER:
            hand_off(dispatcher, words, priority="crisis", tracker=tracker)
            return [SlotSet("pending_offer", None)]
        if offer == RESUME_OFFER:
            return resume_search()
        if offer == "more":
            state = SearchState.from_tracker(tracker)
            return await show_page(dispatcher, state, offset=state.offset)
        if offer:
            # Accepting a search offer: set the need and let the form ask for whatever is still missing.
            return [SlotSet("pending_offer", None), SlotSet("need_category", offer), SlotSet("search_page", 0),
                    FollowupAction("resource_form")]
        send(dispatcher, words.text("capabilities"), buttons=words.buttons("menu_buttons"))
        return []


