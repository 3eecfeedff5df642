"""Directory tables, shaped after Open Referral HSDS 3.0.

Names follow HSDS (organization, service, location, address, phone, schedule, language, service_area,
service_at_location) so import and export map field for field. Two additions serve search:
`service_category` (our need codes, one row per code, indexed) and `service_tag` (eligibility and fit
flags), where HSDS would use taxonomy terms and attributes; the exporter writes them as those.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CATEGORIES = (
    "shelter",
    "drop_in",
    "food",
    "medical",
    "sexual_health",
    "mental_health",
    "legal",
    "hotline",
    "csec_services",
    "caregiver_support",
)

TAGS = (
    "youth_only",
    "lgbtq_affirming",
    "parenting_youth",
    "pregnant_youth",
    "no_curfew",
    "minors_without_consent",
    "girls_only",
    "boys_only",
    "trafficking_survivors",
    "foster_youth",
    "spanish_speaking_staff",
    "walk_in",
    "no_id_needed",
    "transition_age",
)


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))

    services: Mapped[list[Service]] = relationship(back_populates="organization", cascade="all, delete-orphan")
    locations: Mapped[list[Location]] = relationship(back_populates="organization", cascade="all, delete-orphan")


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (
        Index("ix_service_status", "status"),
        # Partial: the few statewide lines, found without reading a statewide directory's other rows.
        Index("ix_service_statewide_only", "id", sqlite_where=text("statewide = 1"),
              postgresql_where=text("statewide")),
    )

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))
    # HSDS status: active | inactive | defunct | temporarily closed
    status: Mapped[str] = mapped_column(String(30), default="active")
    alert: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[str | None] = mapped_column(String(30))
    # True when every day is open 00:00–24:00; saves evaluating seven schedule rows for hotlines/shelters.
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str] = mapped_column(String(1000))
    verified_on: Mapped[dt.date] = mapped_column(Date)
    # Closed on California state holidays (resources/schedule.py computes them): a curator's "closed on holidays".
    closed_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Statewide/national reach for services without a location near the person (hotlines, online help).
    statewide: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a curator retires the service (status becomes inactive); the row and its history stay.
    retired_on: Mapped[dt.date | None] = mapped_column(Date)

    organization: Mapped[Organization] = relationship(back_populates="services")
    categories: Mapped[list[ServiceCategory]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    tags: Mapped[list[ServiceTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                               order_by="Phone.id")
    schedules: Mapped[list[Schedule]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="Schedule.id")
    languages: Mapped[list[Language]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    translations: Mapped[list[ServiceTranslation]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    service_areas: Mapped[list[ServiceArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )


class ServiceCategory(Base):
    __tablename__ = "service_category"
    __table_args__ = (Index("ix_service_category_code", "category", "service_id"),)

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)


class ServiceTag(Base):
    __tablename__ = "service_tag"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)


class Location(Base):
    __tablename__ = "location"
    __table_args__ = (Index("ix_location_lat_lon", "latitude", "longitude"),)

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    county: Mapped[str] = mapped_column(String(60), index=True)
    # Address withheld for safety: replies and exports show only city and county.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(back_populates="locations")
    address: Mapped[Address | None] = relationship(cascade="all, delete-orphan", lazy="joined", uselist=False)


class Address(Base):
    __tablename__ = "address"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), unique=True)
    address_1: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))  # county
    state_province: Mapped[str] = mapped_column(String(2), default="CA")
    postal_code: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2), default="US")


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("service_id", "location_id"),)

    id: Mapped[str] = mapped_column(String(250), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship(lazy="joined")


class Phone(Base):
    __tablename__ = "phone"

    id: Mapped[str] = mapped_column(String(150), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(20), default="voice")  # HSDS: voice | text | fax | ...
    description: Mapped[str | None] = mapped_column(String(300))


class Schedule(Base):
    """One weekly opening: HSDS freq=WEEKLY, byday, opens_at, closes_at (minutes since midnight here).

    `closes_min` may be past 1440 for an opening that runs past midnight (e.g. 20:00–02:00 → 1200–1560).
    """

    __tablename__ = "schedule"

    id: Mapped[str] = mapped_column(String(150), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens_min: Mapped[int] = mapped_column(Integer)
    closes_min: Mapped[int] = mapped_column(Integer)


class Language(Base):
    __tablename__ = "language"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)


class ServiceTranslation(Base):
    """A service's name and description in another language, exactly as a public page of its own in that
    language gives them (that page is `source_url`): never a translation of ours. HSDS 3.0 has no field for
    this; a Spanish conversation's cards use it (resources/search.py), everything else keeps `service`'s."""

    __tablename__ = "service_translation"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(String(1000))


class ServiceArea(Base):
    __tablename__ = "service_area"

    id: Mapped[str] = mapped_column(String(150), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)  # a county, or "California" / "United States"
    extent_type: Mapped[str] = mapped_column(String(30), default="county")


class ChangeLog(Base):
    """What happened to a service and when: created/updated by an import, retired, alert set. Never pruned."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(120), index=True)  # no FK: history outlives rows
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(30))  # created | updated | retired | restored | alert
    source: Mapped[str] = mapped_column(String(500), default="")  # file imported, or "cli"
    detail: Mapped[str] = mapped_column(Text, default="")


class SearchPoint(Base):
    """Search's own index: one row per (service, location, category) with what the located-services query
    filters on, so category + bounding box + age + status are answered from one covering index without
    touching the service table. Rewritten by the store with the service; never edited by hand."""

    __tablename__ = "search_point"
    __table_args__ = (
        Index("ix_search_point_find", "category", "latitude", "longitude", "status", "minimum_age", "maximum_age",
              "always_open", "service_id"),
        Index("ix_search_point_location", "location_id"),
    )

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30))
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
