"""Curator actions on the live directory: the stale report, retiring (and restoring) a service, alerts.

Nothing here deletes: a retired service keeps its row, its history (`change_log`) and its export, with
status `inactive` and `retired_on` set, so search never shows it and an import never quietly revives it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from resources.models import ChangeLog, Service
from resources.store import sync_search_status

STALE_DAYS = 180


@dataclass(frozen=True, slots=True)
class StaleService:
    id: str
    name: str
    organization: str
    verified_on: dt.date
    days: int
    source_url: str


def stale(session: Session, days: int = STALE_DAYS, today: dt.date | None = None) -> list[StaleService]:
    """Active services whose facts were last checked more than `days` ago, oldest first."""
    today = today or dt.date.today()
    cutoff = today - dt.timedelta(days=days)
    rows = session.scalars(
        select(Service)
        .where(Service.verified_on < cutoff, Service.retired_on.is_(None), Service.status != "inactive",
               Service.status != "defunct")
        .order_by(Service.verified_on, Service.id)
        .options(selectinload(Service.organization))
    )
    return [StaleService(s.id, s.name, s.organization.name, s.verified_on, (today - s.verified_on).days,
                         s.source_url) for s in rows]


class CurationError(LookupError):
    pass


def _service(session: Session, service_id: str) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise CurationError(f"no service with id {service_id!r}")
    return service


def retire(session: Session, service_id: str, reason: str = "", by: str = "cli") -> Service:
    service = _service(session, service_id)
    if service.retired_on is not None:
        raise CurationError(f"{service_id} was already retired on {service.retired_on}")
    previous = service.status
    service.status, service.retired_on = "inactive", dt.date.today()
    sync_search_status(session, service_id, service.status)
    session.add(ChangeLog(service_id=service_id, at=dt.datetime.now(dt.UTC), action="retired", source=by,
                          detail=f"status {previous} → inactive" + (f"; {reason}" if reason else "")))
    return service


def restore(session: Session, service_id: str, by: str = "cli") -> Service:
    service = _service(session, service_id)
    if service.retired_on is None:
        raise CurationError(f"{service_id} is not retired")
    service.status, service.retired_on = "active", None
    sync_search_status(session, service_id, service.status)
    session.add(ChangeLog(service_id=service_id, at=dt.datetime.now(dt.UTC), action="restored", source=by))
    return service


def set_alert(session: Session, service_id: str, text: str | None, closed: bool = False, by: str = "cli") -> Service:
    """A notice shown on the service's card ("Closed for repairs until Dec 3", "Hours changed: ...").

    `closed` also marks it temporarily closed (HSDS status); clearing the alert reopens it.
    """
    service = _service(session, service_id)
    if service.retired_on is not None:
        raise CurationError(f"{service_id} is retired; restore it first")
    service.alert = text.strip() if text and text.strip() else None
    if closed:
        service.status = "temporarily closed"
    elif service.alert is None and service.status == "temporarily closed":
        service.status = "active"
    sync_search_status(session, service_id, service.status)
    session.add(ChangeLog(service_id=service_id, at=dt.datetime.now(dt.UTC), action="alert", source=by,
                          detail=f"{service.status}: {service.alert or '(cleared)'}"))
    return service


def history(session: Session, service_id: str) -> list[ChangeLog]:
    return list(session.scalars(select(ChangeLog).where(ChangeLog.service_id == service_id)
                                .order_by(ChangeLog.at, ChangeLog.id)))
