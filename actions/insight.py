"""What the action server tells the gateway for the insight counters (bot/insights/): the facts of a search
(need, county, age band, outcome) and the search context a crisis or handoff in the same turn is counted
under. Only coarse facts cross: a county, never the place or ZIP; an age band, never the age. The gateway
adds the channel, language and week, and folds every value into its closed vocabularies."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.search_state import SearchState
from bot.insights.dimensions import UNKNOWN, age_band
from resources.search import ResourceHit, SearchResult


def _county(state: SearchState) -> str:
    return state.place.county if state.place is not None and not state.anywhere else UNKNOWN


def search_outcome(hits: list[ResourceHit], located: bool) -> str:
    """cards_shown | nothing_within_reach | nothing_open_now.

    With a place: "within reach" means a service near the person or serving their county (a statewide line
    is a line, not a bed in Fresno); "nothing open now" means there are such services but every one of
    them is closed at this hour. Without a place (the person chose "anywhere"): cards or nothing."""
    if not located:
        return "cards_shown" if hits else "nothing_within_reach"
    near = [h for h in hits if h.scope != "statewide"]
    if not near:
        return "nothing_within_reach"
    if all(h.open_now is False for h in near):
        return "nothing_open_now"
    return "cards_shown"


def search_facts(state: SearchState, result: SearchResult) -> dict[str, Any]:
    """The `insight` control field for a new search: one fact per need named ("shelter and food" is two)."""
    county, band = _county(state), age_band(state.age)
    located = state.place is not None and not state.anywhere
    searches = []
    for category in state.categories:
        hits = [h for h in result.hits if h.category == category]
        searches.append({"category": category, "county": county, "age_band": band,
                         "outcome": search_outcome(hits, located)})
    return {"searches": searches, "context": context_of(state)}


def context_of(state: SearchState) -> dict[str, Any]:
    return {"category": state.categories[0] if state.categories else "none", "county": _county(state),
            "age_band": age_band(state.age)}


def context(tracker: Tracker) -> dict[str, Any]:
    """The `insight` control field for a crisis or a handoff: what is known of the search, if anything."""
    return {"context": context_of(SearchState.from_tracker(tracker))}
