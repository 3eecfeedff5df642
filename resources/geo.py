"""Offline gazetteer for California: ZIP codes, cities, neighborhoods, counties and local nicknames.

The data comes from packages that ship it (`zipcodes` for postal places and centroids, spaCy's lexeme
probabilities to know which place names are also everyday words) plus our own alias list. It is compiled
once into `data/gazetteer.json` by `python -m resources build-gazetteer`, so processes start fast and never
touch the network; a test rebuilds it and checks it is unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
GAZETTEER_FILE = DATA_DIR / "gazetteer.json"
ALIASES_FILE = DATA_DIR / "places.yaml"

# Words that, right before a place name, say "this is where I am" even when the name is also a common word.
_LOCATIVE_WORDS = frozenset(
    [
        "in", "near", "at", "around", "from", "by", "outside", "to", "live", "living", "stay", "staying",
        "close", "closer", "nearby", "off", "of",
        # Spanish: "en fresno", "cerca de", "por la mission", "vivo en", "ando por"
        "en", "cerca", "por", "desde", "vivo", "ando",
    ]
)
# A one-word place name whose English log-probability is above this is an everyday word ("orange",
# "industry", "hope") and only counts as a place with a locative word before it or standing alone.
_COMMON_WORD_LOGPROB = -14.0
_MAX_NAME_TOKENS = 4
_ZIP_RE = re.compile(r"\b(9[0-6]\d{3})(?:-\d{4})?\b")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_KIND_PRIORITY = {"alias": 0, "city": 1, "county": 2, "neighborhood": 3}


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: what to call it and a point that stands for it."""

    name: str
    kind: str  # zip | city | county | neighborhood | alias
    county: str  # without "County"
    latitude: float
    longitude: float
    zip: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            county=str(data["county"]),
            latitude=float(data["latitude"]),
            longitude=float(data["longitude"]),
            zip=data.get("zip"),
        )


def normalize(text: str) -> str:
    """Lower-case words joined by single spaces; punctuation other than inner apostrophes/dots dropped."""
    return " ".join(_TOKEN_RE.findall(text.lower()))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


class Gazetteer:
    """Looks up places by ZIP or name, and finds the place someone mentions in a message."""

    def __init__(self, zips: dict[str, list[Any]], names: dict[str, dict[str, Any]]) -> None:
        self._zips = zips
        self._names = names
        self._counties = sorted({row[3] for row in zips.values()})

    @classmethod
    def from_file(cls, path: Path = GAZETTEER_FILE) -> Gazetteer:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(raw["zips"], raw["names"])

    @property
    def counties(self) -> list[str]:
        return list(self._counties)

    def by_zip(self, zip_code: str) -> Place | None:
        row = self._zips.get(zip_code[:5])
        if row is None:
            return None
        lat, lon, city, county = row
        return Place(name=f"{city} {zip_code[:5]}", kind="zip", county=county, latitude=lat,
                     longitude=lon, zip=zip_code[:5])

    def by_name(self, name: str) -> Place | None:
        """Exact lookup of a normalized name ("east oakland", "fresno county", "95823")."""
        key = normalize(name)
        if _ZIP_RE.fullmatch(key):
            return self.by_zip(key)
        entry = self._names.get(key)
        return None if entry is None else _entry_place(entry)

    def county_place(self, county: str) -> Place | None:
        return self.by_name(f"{county} county")

    def find_in_text(self, text: str) -> Place | None:
        """The place a message names, preferring ZIPs, then names after "in/near/at…", then the longest."""
        zip_match = _ZIP_RE.search(text)
        if zip_match and (place := self.by_zip(zip_match.group(1))):
            return place
        tokens = normalize(text).split()
        if not tokens:
            return None
        candidates: list[tuple[int, int, int, int, dict[str, Any]]] = []
        for start in range(len(tokens)):
            for size in range(min(_MAX_NAME_TOKENS, len(tokens) - start), 0, -1):
                entry = self._names.get(" ".join(tokens[start : start + size]))
                if entry is None:
                    continue
                after_locative = start > 0 and tokens[start - 1] in _LOCATIVE_WORDS
                alone = size == len(tokens)
                if entry.get("common") and not (after_locative or alone):
                    continue
                # Rank: after a locative word first, then longer names, then later in the message.
                candidates.append((int(after_locative), size, start, -_KIND_PRIORITY[entry["kind"]], entry))
                break
        if not candidates:
            return None
        best = max(candidates, key=lambda c: c[:4])
        return _entry_place(best[4])

    def names(self) -> list[str]:
        return list(self._names)


def _entry_place(entry: dict[str, Any]) -> Place:
    return Place(
        name=entry["display"],
        kind=entry["kind"],
        county=entry["county"],
        latitude=entry["lat"],
        longitude=entry["lon"],
        zip=entry.get("zip"),
    )


@cache
def gazetteer() -> Gazetteer:
    """Read-only data shipped with the code: one parsed copy per process."""
    return Gazetteer.from_file()


# ---------------------------------------------------------------------------------------------- build


def build_gazetteer_data() -> dict[str, Any]:
    """Compile the packages' postal data and our aliases into the JSON the runtime loads."""
    import zipcodes  # only needed when building

    rows = [z for z in zipcodes.filter_by(state="CA") if z["lat"] and z["long"]]
    zips: dict[str, list[Any]] = {}
    by_city: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_neighborhood: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_county: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        county = row["county"].removesuffix(" County")
        row = {**row, "county": county, "lat": float(row["lat"]), "long": float(row["long"])}
        zips[row["zip_code"]] = [round(row["lat"], 4), round(row["long"], 4), row["city"], county]
        by_city[row["city"]].append(row)
        by_county[county].append(row)
        for alt in row["acceptable_cities"]:
            by_neighborhood[alt].append(row)

    names: dict[str, dict[str, Any]] = {}

    def add(key: str, kind: str, display: str, group: list[dict[str, Any]], zip_code: str | None = None) -> None:
        key = normalize(key)
        if not key or not group:
            return
        existing = names.get(key)
        if existing and _KIND_PRIORITY[existing["kind"]] <= _KIND_PRIORITY[kind]:
            return
        standard = [r for r in group if r["zip_code_type"] == "STANDARD"] or group
        county = Counter(r["county"] for r in standard).most_common(1)[0][0]
        names[key] = {
            "kind": kind,
            "display": display,
            "county": county,
            "lat": round(sum(r["lat"] for r in standard) / len(standard), 4),
            "lon": round(sum(r["long"] for r in standard) / len(standard), 4),
        }
        if zip_code:
            names[key]["zip"] = zip_code

    for city, group in by_city.items():
        add(city, "city", city, group)
    for county, group in by_county.items():
        add(f"{county} county", "county", f"{county} County", group)
        add(county, "county", f"{county} County", group)
    for hood, group in by_neighborhood.items():
        add(hood, "neighborhood", hood, group)

    aliases = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))["aliases"]
    for alias, target in aliases.items():
        if "zip" in target:
            row = zips[target["zip"]]
            group = [{"zip_code": target["zip"], "zip_code_type": "STANDARD", "lat": row[0], "long": row[1],
                      "county": row[3]}]
            add(alias, "alias", target.get("name", alias.title()), group, zip_code=target["zip"])
        elif "city" in target:
            add(alias, "alias", target["city"], by_city[target["city"]])
        else:
            add(alias, "alias", f"{target['county']} County", by_county[target["county"]])

    common = _common_words({key for key in names if " " not in key})
    for key, entry in names.items():
        if key in common:
            entry["common"] = True
    return {"zips": dict(sorted(zips.items())), "names": dict(sorted(names.items()))}


def _common_words(words: set[str]) -> set[str]:
    import gzip

    import spacy_lookups_data

    prob_file = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(prob_file, "rt", encoding="utf-8") as handle:
        probs: dict[str, float] = json.load(handle)
    return {w for w in words if probs.get(w, -99.0) > _COMMON_WORD_LOGPROB}


def write_gazetteer(path: Path = GAZETTEER_FILE) -> None:
    path.write_text(json.dumps(build_gazetteer_data(), separators=(",", ":"), sort_keys=True) + "\n",
                    encoding="utf-8")
