"""What the conversation knows about the current search, read from and written to Rasa slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from resources.geo import Place
from resources.search import SearchQuery

ANYWHERE = "anywhere"
PAGE_SIZE = 3


@dataclass(frozen=True, slots=True)
class SearchState:
    categories: tuple[str, ...]
    place: Place | None
    anywhere: bool
    age: int | None
    tags: tuple[str, ...]
    caregiver: bool
    offset: int
    language: str

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> SearchState:
        need = tracker.get_slot("need_category") or ""
        place_data: Any = tracker.get_slot("place")
        age = tracker.get_slot("age")
        return cls(
            categories=tuple(c for c in str(need).split(",") if c),
            place=Place.from_dict(place_data) if isinstance(place_data, dict) else None,
            anywhere=tracker.get_slot("location") == ANYWHERE,
            age=int(age) if isinstance(age, (int, float)) else None,
            tags=tuple(tracker.get_slot("constraints") or ()),
            caregiver=tracker.get_slot("user_role") == "caregiver",
            offset=int(tracker.get_slot("search_page") or 0),
            language=str(tracker.get_slot("language") or "en"),
        )

    def query(self) -> SearchQuery:
        return SearchQuery(
            categories=self.categories,
            place=None if self.anywhere else self.place,
            age=self.age,
            tags=self.tags,
            language=self.language if self.language != "en" else None,
        )
