"""HSDS 3.0 objects (nested dicts, from JSON or assembled from CSV tables) → validated-ready records.

Every problem names where it is: `file: $.json.path` for JSON, `file.csv:line` for CSV rows, and the HSDS
field. Problems are collected, never raised, so one run lists all of them; a garbled value of any type is
a problem, not a crash.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from resources.geo import Gazetteer, gazetteer
from resources.records import (
    LocationRecord,
    OpeningRecord,
    OrganizationRecord,
    Problem,
    ServiceRecord,
    parse_time,
)
from resources.taxonomy import CATEGORY_TAXONOMY, CURATION_TAXONOMY, TAG_TAXONOMY, TaxonomyMap, describe

WHERE = "__where__"  # CSV assembly stores each row's file:line under this key
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A schedule's notes saying the service shuts on holidays: "Closed on holidays", "closed major holidays",
# "Mon-Fri except holidays", "Holidays: closed". It then closes on California state holidays (schedule.py).
_HOLIDAYS_CLOSED = re.compile(
    r"\b(?:closed|except|excluding|excl\.?|not open)\b[^.;\n]{0,40}?\bholidays?\b|\bholidays?\b\s*[:\-–—]?\s*closed\b",
    re.I,
)
_TEXT_PHONE_TYPES = {"text", "sms"}
_VOICE_PHONE_TYPES = {"voice", "cell", "mobile", "hotline", "", None}


@dataclass(slots=True)
class Batch:
    """Everything read from one import run (all files), before validation and storage."""

    organizations: dict[str, OrganizationRecord] = field(default_factory=dict)
    full_orgs: set[str] = field(default_factory=set)  # orgs whose own fields were in the input
    referenced_orgs: dict[str, str] = field(default_factory=dict)  # org id named only by id → where
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)  # taxonomy_term id → term
    locations: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # id → (location, where)
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    sal_services: set[str] = field(default_factory=set)  # services assembled from service_at_location docs
    top_orgs: dict[str, str] = field(default_factory=dict)  # organizations given as documents → where


def child_where(obj: Any, parent: str, key: str, index: int | None = None) -> str:
    if isinstance(obj, dict) and isinstance(obj.get(WHERE), str):
        return obj[WHERE]
    return f"{parent}.{key}" + (f"[{index}]" if index is not None else "")


class HsdsReader:
    def __init__(self, batch: Batch, taxonomy: TaxonomyMap, places: Gazetteer | None = None) -> None:
        self.batch = batch
        self.taxonomy = taxonomy
        self.places = places or gazetteer()
        self.counties = {c.lower(): c for c in self.places.counties}

    # ---- problems -------------------------------------------------------------------------------------

    def bad(self, where: str, field_name: str, message: str) -> None:
        self.batch.problems.append(Problem(where, field_name, message))

    def warn(self, where: str, field_name: str, message: str) -> None:
        self.batch.warnings.append(Problem(where, field_name, message))

    # ---- documents ------------------------------------------------------------------------------------

    def document(self, doc: Any, where: str) -> None:
        """Any HSDS JSON document: one record, a list of them, or a paged list response (`contents`)."""
        if isinstance(doc, list):
            for i, item in enumerate(doc):
                self.document(item, f"{where}[{i}]")
            return
        if not isinstance(doc, dict):
            self.bad(where, "document", f"expected an HSDS object or a list of them, got {type(doc).__name__}")
            return
        if "contents" in doc and "id" not in doc:
            if not isinstance(doc["contents"], list):
                self.bad(where, "contents", "must be a list")
                return
            for i, item in enumerate(doc["contents"]):
                self.document(item, f"{where}.contents[{i}]")
            return
        kind = record_kind(doc)
        if kind == "sal":
            self.service_at_location(doc, where)
        elif kind == "service":
            self.service(doc, where)
        elif kind == "location":
            self.register_location(doc, where, standalone=True)
        elif kind == "term":
            self.register_term(doc, where)
        elif kind == "organization":
            org_id = doc.get("id")
            if isinstance(org_id, str) and org_id in self.batch.top_orgs:
                self.bad(where, "id", f"duplicate organization id {org_id!r} (also at {self.batch.top_orgs[org_id]})")
                return
            if isinstance(org_id, str):
                self.batch.top_orgs[org_id] = where
            self.organization(doc, where)
        elif kind == "metadata":
            version = str(doc.get("version", ""))
            if version and not version.startswith("3."):
                self.bad(where, "version", f"HSDS version {version!r} is not 3.x")
        elif kind == "taxonomy":
            pass  # a taxonomy's own description carries nothing to store
        else:
            self.bad(where, "document", "not an HSDS organization, service, service_at_location, location or "
                     "taxonomy term (no id/name)")

    def register_term(self, term: dict[str, Any], where: str) -> None:
        term_id = term.get("id")
        if not isinstance(term_id, str) or not term_id:
            self.bad(where, "id", "a taxonomy term needs an id")
            return
        self.batch.terms[term_id] = term

    def register_location(self, loc: dict[str, Any], where: str, standalone: bool = False) -> None:
        loc_id = loc.get("id")
        if not isinstance(loc_id, str) or not loc_id:
            self.bad(where, "id", "a location needs an id")
            return
        self.batch.locations[loc_id] = (loc, where)
        if standalone:
            # Checked now so a broken location file reports its problems even if no service uses it.
            self.location(loc, where, "")

    # ---- organizations and services -------------------------------------------------------------------

    def organization(self, obj: dict[str, Any], where: str) -> OrganizationRecord | None:
        org_id = self.nav_id(obj, where)
        name = self.text(obj, "name", where, required=True)
        if org_id is None or name is None:
            return None
        for i, loc in enumerate(_list(obj.get("locations"))):
            if isinstance(loc, dict):
                self.register_location(loc, child_where(loc, where, "locations", i))
        record = self.batch.organizations.get(org_id)
        if record is None:
            record = OrganizationRecord(id=org_id, name=name, description="", url=None, services=[], where=where)
            self.batch.organizations[org_id] = record
        record.name = name
        record.description = self.text(obj, "description", where) or ""
        record.url = self.text(obj, "website", where) or self.text(obj, "url", where)
        record.email = self.text(obj, "email", where)
        record.where = where
        self.batch.full_orgs.add(org_id)
        self.batch.referenced_orgs.pop(org_id, None)
        services = obj.get("services")
        if services is not None and not isinstance(services, list):
            self.bad(where, "services", "must be a list")
        for i, svc in enumerate(_list(services)):
            svc_where = child_where(svc, where, "services", i)
            if not isinstance(svc, dict):
                self.bad(svc_where, "service", "must be an object")
                continue
            self.service(svc, svc_where, org=obj, org_id=org_id)
        return record

    def service_at_location(self, obj: dict[str, Any], where: str) -> None:
        svc = obj["service"]
        svc_where = child_where(svc, where, "service")
        loc = obj.get("location")
        if isinstance(loc, dict):
            self.register_location(loc, child_where(loc, where, "location"))
        elif isinstance(obj.get("location_id"), str):
            loc = {"id": obj["location_id"]}
        record = self.batch.services.get(svc.get("id")) if isinstance(svc.get("id"), str) else None
        if record is not None and record.id in self.batch.sal_services:
            # The same service at another location: add the place, not a second service.
            if isinstance(loc, dict):
                self.attach_location(record, loc, where)
            return
        extra = {**svc, "service_at_locations": [*_list(svc.get("service_at_locations")),
                                                 {"location": loc} if isinstance(loc, dict) else {}]}
        if WHERE not in extra:
            extra[WHERE] = svc_where
        new = self.service(extra, svc_where)
        if new is not None:
            self.batch.sal_services.add(new.id)

    def service(self, obj: dict[str, Any], where: str, org: dict[str, Any] | None = None,
                org_id: str | None = None) -> ServiceRecord | None:
        service_id = self.nav_id(obj, where)
        name = self.text(obj, "name", where, required=True)
        if org_id is None:
            org_id, org = self.service_organization(obj, where)
        curation, categories, tags = self.attributes(obj, where)
        verified_on = self.verified_on(obj, where)
        source_url = curation.get("source_url") or self.text(obj, "url", where)
        if not source_url and org is not None:
            source_url = self.text(org, "website", where) or self.text(org, "url", where)
        if not source_url:
            self.bad(where, "url", "every service needs the page its facts come from: a url, the organization's "
                     "website, or a youth-navigator/curation source_url attribute")
        status = self.text(obj, "status", where) or "active"
        record = ServiceRecord(
            id=service_id or "?", name=name or "", description=self.text(obj, "description", where) or "",
            categories=categories, source_url=source_url or "", verified_on=verified_on or dt.date(1970, 1, 1),
            email=self.text(obj, "email", where), url=self.text(obj, "url", where), status=status,
            alert=self.text(obj, "alert", where), cost=curation.get("cost"), tags=tags, where=where,
        )
        record.min_age = self.age(obj, "minimum_age", where)
        record.max_age = self.age(obj, "maximum_age", where)
        self.phones(record, obj, org, where)
        self.languages(record, obj, where)
        self.hours(record, obj, where)
        self.service_areas(record, obj, where)
        statewide = curation.get("statewide")
        record.statewide = (statewide == "true") if statewide is not None else any(
            a in ("California", "United States") for a in record.service_areas)
        if curation.get("retired_on"):
            record.retired_on = self.date(curation["retired_on"], where, "retired_on")
        if curation.get("closed_on_holidays") == "true":
            record.closed_on_holidays = True
        sals = obj.get("service_at_locations")
        if sals is not None and not isinstance(sals, list):
            self.bad(where, "service_at_locations", "must be a list")
        for i, sal in enumerate(_list(sals)):
            sal_where = child_where(sal, where, "service_at_locations", i)
            if not isinstance(sal, dict):
                self.bad(sal_where, "service_at_location", "must be an object")
                continue
            loc = sal.get("location")
            if not isinstance(loc, dict) and isinstance(sal.get("location_id"), str):
                loc = {"id": sal["location_id"]}
            if isinstance(loc, dict):
                self.attach_location(record, loc, sal_where)
        if service_id is None or name is None or org_id is None or verified_on is None:
            return None
        self.batch.services[record.id] = record
        org_record = self.batch.organizations.get(org_id)
        if org_record is None:
            if org is not None and isinstance(org.get("name"), str):
                org_record = self.organization({k: v for k, v in org.items() if k != "services"},
                                               child_where(org, where, "organization"))
            if org_record is None:
                org_record = OrganizationRecord(id=org_id, name=org_id, description="", url=None, services=[],
                                                where=where)
                self.batch.organizations[org_id] = org_record
                self.batch.referenced_orgs[org_id] = where
        org_record.services.append(record)
        return record

    def service_organization(self, obj: dict[str, Any], where: str) -> tuple[str | None, dict[str, Any] | None]:
        org = obj.get("organization")
        if isinstance(org, dict):
            org_where = child_where(org, where, "organization")
            org_id = self.nav_id(org, org_where)
            if org_id is not None and org_id not in self.batch.full_orgs:
                self.organization({k: v for k, v in org.items() if k != "services"}, org_where)
            return org_id, org
        org_id = obj.get("organization_id")
        if isinstance(org_id, str) and org_id.strip():
            known = self.batch.organizations.get(org_id)
            return org_id, None if known is None else {"website": known.url}
        self.bad(where, "organization_id", "a service needs its organization (organization or organization_id)")
        return None, None

    # ---- fields ---------------------------------------------------------------------------------------

    def nav_id(self, obj: dict[str, Any], where: str) -> str | None:
        """The record's id: our own id when the export carried it (curation attribute `id`), else HSDS's."""
        for attr in _list(obj.get("attributes")):
            term = self.term_of(attr)
            if term and term.get("taxonomy") == CURATION_TAXONOMY and term.get("code") == "id":
                value = attr.get("value") if isinstance(attr, dict) else None
                if isinstance(value, str) and value:
                    return value
        value = obj.get("id")
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
        self.bad(where, "id", "is required")
        return None

    def text(self, obj: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(where, key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.bad(where, key, f"must be text, got {type(value).__name__}")
            return None
        return str(value).strip()

    def age(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        number = _number(value)
        if number is None or not number.is_integer():
            self.bad(where, key, f"must be a whole number of years, got {value!r}")
            return None
        return int(number)

    def date(self, value: Any, where: str, key: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            self.bad(where, key, f"needs a date YYYY-MM-DD, got {value!r}")
            return None

    def verified_on(self, obj: dict[str, Any], where: str) -> dt.date | None:
        for key in ("assured_date", "last_modified"):
            value = obj.get(key)
            if value not in (None, ""):
                return self.date(value, where, key)
        self.bad(where, "assured_date", "is required: the day the service's facts were last checked (verified_on)")
        return None

    def term_of(self, attr: Any) -> dict[str, Any] | None:
        if not isinstance(attr, dict):
            return None
        term = attr.get("taxonomy_term")
        if isinstance(term, dict):
            return term
        term_id = attr.get("taxonomy_term_id")
        return self.batch.terms.get(term_id) if isinstance(term_id, str) else None

    def attributes(self, obj: dict[str, Any], where: str) -> tuple[dict[str, str], list[str], list[str]]:
        curation: dict[str, str] = {}
        categories: list[str] = []
        tags: list[str] = []
        unmapped: list[str] = []
        attrs = obj.get("attributes")
        if attrs is not None and not isinstance(attrs, list):
            self.bad(where, "attributes", "must be a list")
        for i, attr in enumerate(_list(attrs)):
            at = child_where(attr, where, "attributes", i)
            term = self.term_of(attr)
            if term is None:
                self.warn(at, "taxonomy_term", "attribute without a known taxonomy term; left out")
                continue
            taxonomy, code = term.get("taxonomy"), term.get("code")
            if taxonomy == CATEGORY_TAXONOMY:
                categories.append(str(code))
            elif taxonomy == TAG_TAXONOMY:
                tags.append(str(code))
            elif taxonomy == CURATION_TAXONOMY:
                value = attr.get("value") if isinstance(attr, dict) else None
                if isinstance(value, str):
                    curation[str(code)] = value
            elif (mapping := self.taxonomy.resolve(term)) is None:
                unmapped.append(describe(term))
            elif mapping.category:
                categories.append(mapping.category)
            elif mapping.tag:
                tags.append(mapping.tag)
        if not categories:
            if unmapped:
                self.bad(where, "attributes", "no taxonomy term maps to a navigator category ("
                         + "; ".join(unmapped) + "): add them to a taxonomy map file and pass --taxonomy-map")
            elif self.taxonomy.default_category:
                categories.append(self.taxonomy.default_category)
            else:
                self.bad(where, "attributes", "no taxonomy term, so no navigator category: add a term, or set "
                         "default_category in a --taxonomy-map file")
        elif unmapped:
            self.warn(where, "attributes", "terms with no navigator category, left out: " + "; ".join(unmapped))
        return curation, list(dict.fromkeys(categories)), list(dict.fromkeys(tags))

    def phones(self, record: ServiceRecord, obj: dict[str, Any], org: dict[str, Any] | None, where: str) -> None:
        sources = [(obj, where)] + ([(org, child_where(org, where, "organization"))] if org else [])
        for source, base in sources:
            phones = source.get("phones")
            if phones is not None and not isinstance(phones, list):
                self.bad(base, "phones", "must be a list")
                continue
            for i, phone in enumerate(_list(phones)):
                at = child_where(phone, base, "phones", i)
                if not isinstance(phone, dict):
                    self.bad(at, "phone", "must be an object")
                    continue
                number = self.text(phone, "number", at, required=True)
                if number is None:
                    continue
                number = number.strip().strip("\"'").strip()
                kind = phone.get("type")
                if kind is not None and not isinstance(kind, str):
                    self.bad(at, "type", "must be text such as \"voice\" or \"text\"")
                    continue
                kind = kind.lower().strip() if kind is not None else None
                if kind in _TEXT_PHONE_TYPES and record.text is None:
                    record.text = number
                    record.origins["text"] = (at, "number")
                elif kind in _VOICE_PHONE_TYPES and record.phone is None:
                    record.phone = number
                    record.origins["phone"] = (at, "number")
            if record.phone or record.text:
                return

    def languages(self, record: ServiceRecord, obj: dict[str, Any], where: str) -> None:
        langs = obj.get("languages")
        codes = []
        for i, lang in enumerate(_list(langs)):
            at = child_where(lang, where, "languages", i)
            if isinstance(lang, dict) and isinstance(lang.get("code"), str) and lang["code"].strip():
                codes.append(lang["code"].strip())
                record.origins.setdefault("languages", (at, "code"))
            else:
                self.warn(at, "code", "language without a code; left out")
        record.languages = list(dict.fromkeys(codes)) or ["en"]

    def service_areas(self, record: ServiceRecord, obj: dict[str, Any], where: str) -> None:
        for i, area in enumerate(_list(obj.get("service_areas"))):
            at = child_where(area, where, "service_areas", i)
            name = area.get("name") if isinstance(area, dict) else None
            if not isinstance(name, str):
                continue
            key = re.sub(r"\s+county$", "", name.strip(), flags=re.I).lower()
            if key in self.counties:
                record.service_areas.append(self.counties[key])
            elif key in ("california", "united states"):
                record.service_areas.append(name.strip().title().replace("States", "States"))
            else:
                self.warn(at, "name", "service area is not a California county, 'California' or 'United States'; "
                          "left out")

    def hours(self, record: ServiceRecord, obj: dict[str, Any], where: str) -> None:
        schedules = obj.get("schedules")
        if schedules is None:
            for i, sal in enumerate(_list(obj.get("service_at_locations"))):
                if isinstance(sal, dict) and sal.get("schedules"):
                    schedules = sal["schedules"]
                    where = child_where(sal, where, "service_at_locations", i)
                    break
        if schedules is not None and not isinstance(schedules, list):
            self.bad(where, "schedules", "must be a list")
            return
        openings: list[OpeningRecord] = []
        usable = True
        for i, sched in enumerate(_list(schedules)):
            at = child_where(sched, where, "schedules", i)
            if not isinstance(sched, dict):
                self.bad(at, "schedule", "must be an object")
                continue
            notes = " ".join(str(sched.get(k) or "") for k in ("notes", "description"))
            if _HOLIDAYS_CLOSED.search(notes):
                record.closed_on_holidays = True
            result = self.schedule(sched, at)
            if result is None:
                usable = False
            else:
                openings.extend(result)
        if not usable:
            self.warn(where, "schedules", "hours that are not a current weekly opening (monthly, past valid_to, or "
                      "text only), so none are imported: the service shows 'call for hours', not partly wrong hours")
            return
        covered = {(o.weekday, o.opens_min, o.closes_min) for o in openings}
        if openings and all((d, 0, 1440) in covered for d in range(7)):
            record.always_open = True
            return
        record.openings = openings

    def schedule(self, sched: dict[str, Any], at: str) -> list[OpeningRecord] | None:
        """Weekly openings of one HSDS schedule; [] when it is broken (reported), None when not weekly."""
        freq = sched.get("freq")
        if freq not in (None, "", "WEEKLY", "weekly"):
            return None
        valid_to = sched.get("valid_to")
        if isinstance(valid_to, str) and valid_to and valid_to[:10] < dt.date.today().isoformat():
            return None
        opens_raw, closes_raw = sched.get("opens_at"), sched.get("closes_at")
        if opens_raw in (None, "") and closes_raw in (None, ""):
            return None  # free-text hours only
        opens = _clock(opens_raw, end=False)
        closes = _clock(closes_raw, end=True)
        if opens is None:
            self.bad(at, "opens_at", f"must be a time HH:MM, got {opens_raw!r}")
        if closes is None:
            self.bad(at, "closes_at", f"must be a time HH:MM, got {closes_raw!r}")
        byday = sched.get("byday")
        days: list[int] = []
        if not isinstance(byday, str) or not byday.strip():
            self.bad(at, "byday", "needs the days, e.g. \"MO,TU,WE\"")
        else:
            for token in byday.upper().replace(" ", "").split(","):
                if token not in _DAYS:
                    if re.fullmatch(r"[+-]?\d+(MO|TU|WE|TH|FR|SA|SU)", token):
                        return None  # "1MO": a monthly pattern
                    self.bad(at, "byday", f"unknown day {token!r} (use MO,TU,WE,TH,FR,SA,SU)")
                    return []
                days.append(_DAYS.index(token))
        if opens is None or closes is None or not days:
            return []
        if closes <= opens:
            notes = " ".join(str(sched.get(k) or "") for k in ("notes", "description")).lower()
            if "overnight" in notes:
                closes += 1440
            else:
                self.bad(at, "closes_at", f"closes_at {closes_raw} is before opens_at {opens_raw}; if it runs past "
                         "midnight, say 'overnight' in the schedule's notes")
                return []
        return [OpeningRecord(d, opens, closes) for d in dict.fromkeys(days)]

    # ---- locations ------------------------------------------------------------------------------------

    def attach_location(self, record: ServiceRecord, loc: dict[str, Any], where: str) -> None:
        loc_where = child_where(loc, where, "location")
        if set(loc) - {"id", WHERE} == set() and isinstance(loc.get("id"), str):
            known = self.batch.locations.get(loc["id"])
            if known is None:
                self.bad(loc_where, "location_id", f"no location {loc['id']!r} in this import")
                return
            loc, loc_where = known
        suffix = "" if not record.locations() else f"#{len(record.locations())}"
        location = self.location(loc, loc_where, suffix, record)
        if location is None:
            return
        if record.location is None:
            record.location = location
        else:
            record.extra_locations.append(location)

    def location(self, loc: dict[str, Any], where: str, suffix: str,
                 record: ServiceRecord | None = None) -> LocationRecord | None:
        if loc.get("location_type") == "virtual":
            return None
        loc_id = self.nav_id(loc, where)
        curation: dict[str, str] = {}
        for attr in _list(loc.get("attributes")):
            term = self.term_of(attr)
            if term and term.get("taxonomy") == CURATION_TAXONOMY and isinstance(attr, dict):
                curation[str(term.get("code"))] = str(attr.get("value"))
        addresses = [a for a in _list(loc.get("addresses")) if isinstance(a, dict)]
        physical = [a for a in addresses if a.get("address_type") in (None, "", "physical")]
        address = (physical or addresses or [None])[0]
        addr_where = child_where(address, where, "addresses", (addresses.index(address) if address else 0))
        city = self.text(address, "city", addr_where) if address else None
        zip_raw = self.text(address, "postal_code", addr_where) if address else None
        postal_code = zip_raw[:5] if zip_raw and re.fullmatch(r"\d{5}(-\d{4})?", zip_raw) else zip_raw
        place = (self.places.by_zip(postal_code) if postal_code else None) or (
            self.places.by_name(city) if city else None)
        lat, lon = _number(loc.get("latitude")), _number(loc.get("longitude"))
        if lat is None or lon is None:
            if loc.get("latitude") not in (None, "") or loc.get("longitude") not in (None, ""):
                self.bad(where, "latitude", f"latitude/longitude must be numbers, got {loc.get('latitude')!r}/"
                         f"{loc.get('longitude')!r}")
                return None
            if place is None:
                self.bad(where, "latitude", "is required (or an address with a California city or ZIP)")
                return None
            lat, lon = place.latitude, place.longitude
        if not city:
            if place is None:
                self.bad(where, "addresses", "needs an address with at least a city")
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    self.bad(where, "latitude", f"out of range: {lat}, {lon}")
                return None
            city = place.name
        region = self.text(address, "region", addr_where) if address else None
        county = re.sub(r"\s+county$", "", region, flags=re.I) if region else (place.county if place else "")
        if record is not None:
            record.origins["latitude" + suffix] = (where, "latitude")
            record.origins["longitude" + suffix] = (where, "longitude")
            record.origins["zip" + suffix] = (addr_where, "postal_code")
            record.origins["city" + suffix] = (addr_where, "city")
            record.origins["location_id" + suffix] = (where, "id")
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.bad(where, "latitude" if not -90 <= lat <= 90 else "longitude", f"out of range: {lat}, {lon}")
        confidential = curation.get("confidential") == "true"
        address_1 = self.text(address, "address_1", addr_where) if address else None
        return LocationRecord(
            id=loc_id or "", city=city, county=county or "", latitude=lat, longitude=lon,
            address_1=None if confidential else address_1, postal_code=None if confidential else postal_code,
            confidential=confidential, name=self.text(loc, "name", where),
        )


def record_kind(doc: dict[str, Any]) -> str:
    if isinstance(doc.get("service"), dict):
        return "sal"
    if "location_type" in doc or ("latitude" in doc and "status" not in doc):
        return "location"
    if "status" in doc or "service_at_locations" in doc or isinstance(doc.get("organization"), dict) or (
            "organization_id" in doc and "name" in doc):
        return "service"
    if any(k in doc for k in ("code", "taxonomy", "term_uri", "parent_id", "taxonomy_detail")):
        return "term"
    if "id" not in doc and "version" in doc:
        return "metadata"
    if "version" in doc and "website" not in doc and "services" not in doc:
        return "taxonomy"
    if "id" in doc and "name" in doc:
        return "organization"
    return "unknown"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _clock(value: Any, end: bool) -> int | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"(Z|[+-]\d{2}:?\d{2})$", "", value.strip())
    if end and text in ("23:59", "23:59:59"):
        return 1440
    minutes = parse_time(text)
    if minutes == 1440 and not end:
        return None
    return minutes
