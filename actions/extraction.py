"""Fills the search slots from each message, with the directory's own parser (resources/query.py).

Runs after every user message (domain: custom slot mapping → action_extract_request), so a need, place or
age mentioned at any point is remembered, and an unclear answer to a question is marked for a re-ask.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.directory import directory
from actions.search_state import ANYWHERE
from resources.query import ParsedRequest, category_for, parse_request

SEARCH_INTENTS = frozenset({"find_resource", "skip_location"})
# Intents under which an unparseable reply to "what do you need / where are you" is an unclear answer
# (re-ask), rather than a different question the dialogue should answer (form rejection → rules).
ANSWER_INTENTS = frozenset({"find_resource", "nlu_fallback", "affirm", "deny", "skip_location"})
_MAX_ECHO = 40
LANGUAGES = frozenset({"en", "es"})


def message_language(tracker: Tracker) -> str | None:
    """The language the gateway says this message's conversation is in (`metadata.language`), if it says."""
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    if not metadata:  # older trackers keep the metadata on the user event only
        for event in reversed(tracker.events or []):
            if event.get("event") == "user":
                metadata = event.get("metadata") or {}
                break
    language = metadata.get("language") if isinstance(metadata, dict) else None
    return language if language in LANGUAGES else None


def language_events(tracker: Tracker) -> list[EventType]:
    """Sets the `language` slot from the message metadata whenever the gateway's language differs from it."""
    language = message_language(tracker)
    if language is None or language == (tracker.get_slot("language") or "en"):
        return []
    return [SlotSet("language", language)]


class ActionExtractRequest(Action):
    def name(self) -> str:
        return "action_extract_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        # Every message, whatever its intent: the conversation's language (from the gateway) picks the texts.
        language_set = language_events(tracker)
        language = message_language(tracker) or tracker.get_slot("language") or "en"
        intent = (message.get("intent") or {}).get("name") or ""
        text = str(message.get("text") or "")
        in_form = (tracker.active_loop or {}).get("name") == "resource_form"
        # In a search, other questions (rights, reporting, a person…) must leave the slots alone, so the form
        # rejects the turn and the rules answer the question before the form asks again.
        # An unclassified message is still read: "what about a shelter" names a need even when NLU hesitates.
        listened = SEARCH_INTENTS | {"caregiver_help", "nlu_fallback"} | (ANSWER_INTENTS if in_form else frozenset())
        if intent not in listened:
            return language_set
        requested = tracker.get_slot("requested_slot") if in_form else None
        parsed = self._parse(text, message.get("entities") or [], language)
        return language_set + self._events(parsed, intent, requested, text, tracker)

    @staticmethod
    def _parse(text: str, entities: list[dict[str, Any]], language: str = "en") -> ParsedRequest:
        gaz = directory().gazetteer
        if text.startswith("/"):
            # A button payload such as /find_resource{"need": "shelter"}: only its entities carry meaning.
            text = " ".join(str(e.get("value", "")) for e in entities)
        parsed = parse_request(text, gaz, language)
        extra_categories = [c for e in entities if e.get("entity") == "need"
                            if (c := category_for(str(e.get("value", "")), language))]
        place = parsed.place
        if place is None:
            for entity in entities:
                if entity.get("entity") == "location" and (found := gaz.by_name(str(entity.get("value")))):
                    place = found
                    break
        return ParsedRequest(
            categories=tuple(dict.fromkeys([*parsed.categories, *extra_categories])),
            place=place,
            age=parsed.age,
            tags=parsed.tags,
            caregiver=parsed.caregiver,
            skip_location=parsed.skip_location,
        )

    @staticmethod
    def _events(
        parsed: ParsedRequest, intent: str, requested: str | None, text: str, tracker: Tracker
    ) -> list[EventType]:
        events: list[EventType] = []
        understood = bool(parsed.categories or parsed.place or parsed.age or parsed.skip_location)
        answering = intent in ANSWER_INTENTS and not understood
        if parsed.categories:
            need = ",".join(parsed.categories)
            if need != tracker.get_slot("need_category"):
                events.append(SlotSet("search_page", 0))
            events.append(SlotSet("need_category", need))
        elif requested == "need_category" and answering:
            events += [SlotSet("need_category", None), SlotSet("unclear_answer", text[:_MAX_ECHO])]

        if parsed.place is not None:
            events += [SlotSet("location", parsed.place.name), SlotSet("place", parsed.place.to_dict()),
                       SlotSet("search_page", 0)]
        elif intent == "skip_location" or (requested == "location" and parsed.skip_location):
            events += [SlotSet("location", ANYWHERE), SlotSet("place", None)]
        elif requested == "location" and answering:
            events += [SlotSet("location", None), SlotSet("unclear_answer", text[:_MAX_ECHO])]

        if parsed.age is not None:
            events.append(SlotSet("age", parsed.age))
        if parsed.tags:
            events.append(SlotSet("constraints", list(parsed.tags)))
        if parsed.caregiver or intent == "caregiver_help":
            events.append(SlotSet("user_role", "caregiver"))
        return events
