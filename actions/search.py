"""Directory search in the dialogue: asking for what is missing, showing results, paging."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.content import Content, content
from actions.directory import directory
from actions.insight import search_facts
from actions.messages import send
from actions.search_state import PAGE_SIZE, SearchState
from resources.search import SearchResult


class ActionAskNeedCategory(Action):
    def name(self) -> str:
        return "action_ask_need_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        unclear = tracker.get_slot("unclear_answer")
        text = words.text("ask_need_again", answer=unclear) if unclear else words.text("ask_need")
        menu = [b for b in words.buttons("menu_buttons") if b["payload"] != "/caregiver_help"]
        send(dispatcher, text, buttons=menu)
        return [SlotSet("unclear_answer", None)]


class ActionAskLocation(Action):
    def name(self) -> str:
        return "action_ask_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words = content(tracker.get_slot("language") or "en")
        unclear = tracker.get_slot("unclear_answer")
        text = words.text("ask_location_again", answer=unclear) if unclear else words.text("ask_location")
        send(dispatcher, text, buttons=[*words.buttons("skip_button"), *words.buttons("person_button")])
        return [SlotSet("unclear_answer", None)]


class ActionSearchResources(Action):
    """First page of results for the need and place the form collected."""

    def name(self) -> str:
        return "action_search_resources"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = SearchState.from_tracker(tracker)
        return await show_page(dispatcher, state, offset=0)


class ActionMoreResults(Action):
    def name(self) -> str:
        return "action_more_results"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = SearchState.from_tracker(tracker)
        if not state.categories or (state.place is None and not state.anywhere):
            words = content(state.language)
            send(dispatcher, words.text("results_nothing_to_page"), buttons=words.buttons("menu_buttons"))
            return []
        return await show_page(dispatcher, state, offset=state.offset)


async def show_page(dispatcher: CollectingDispatcher, state: SearchState, offset: int) -> list[EventType]:
    words = content(state.language)
    result = await directory().find_async(state.query())
    page = result.hits[offset : offset + PAGE_SIZE]
    # A new search is counted once (bot/insights/); paging through its results is not a new need.
    facts = {"insight": search_facts(state, result)} if offset == 0 else {}
    need = words.need_label(state.categories[0]) if state.categories else words.need_label("hotline")
    where = str(words.raw.get("place_you", "you")) if state.place is None else state.place.name
    person = words.buttons("person_button")
    if not page:
        key = "results_empty" if offset == 0 else "results_no_more"
        lines = words.lines_for(state.categories)
        text = "\n".join([words.text(key, need=need, place=where), *(f"• {words.contact(line)}" for line in lines)])
        send(dispatcher, text, buttons=person, search_need=list(state.categories), **facts)
        return [SlotSet("pending_offer", None)]

    # `search_need` (category codes, never the youth's words) lets the advocate desk show what they looked for.
    send(dispatcher, _intro(words, result, state, offset, need, where), resources=[h.to_card() for h in page],
         search_need=list(state.categories), **facts)
    next_offset = offset + len(page)
    has_more = next_offset < len(result.hits)
    footer = words.text("results_footer") if has_more else words.text("results_last_footer", need=need, place=where)
    if offset == 0 and not _has_line(page):
        lines = " · ".join(words.contact(line) for line in words.lines_for(state.categories))
        footer = f"{words.text('also_lines', lines=lines)}\n{footer}"
    buttons = [*words.buttons("more_button"), *person] if has_more else person
    send(dispatcher, footer, buttons=buttons)
    return [SlotSet("search_page", next_offset), SlotSet("pending_offer", "more" if has_more else None)]


def _intro(words: Content, result: SearchResult, state: SearchState, offset: int, need: str, where: str) -> str:
    if offset > 0:
        return words.text("results_more_intro", need=need)
    if state.place is None:
        return words.text("results_intro_statewide", need=need)
    parts = [words.text("results_intro", need=need, place=where)]
    if result.widened:
        parts.insert(0, words.text("results_widened"))
    if not result.any_open_now and any(h.open_now is False for h in result.hits[:PAGE_SIZE]):
        # The earliest opening near them, not the first-ranked card's ("here is what opens at 8am").
        first = result.first_opening or next((h.opens_next for h in result.hits if h.opens_next), None)
        opens = words.text("results_opens_next", time=first) if first else ""
        lines = " · ".join(words.contact(line) for line in words.lines_for(state.categories))
        parts.insert(0, f"{words.text('results_none_open', opens_next=opens)} {lines}")
    return "\n".join(parts)


def _has_line(page: list) -> bool:  # type: ignore[type-arg]
    """Whether the page already includes a 24/7 statewide line, so the footer need not repeat one."""
    return any(hit.scope == "statewide" for hit in page)
