"""The handoff state machine and the advocate queue, persisted in the gateway's database.

    bot ──request──▶ queued ──claim──▶ with_advocate ──release──▶ bot | closed
     └───────── claim (crisis-flagged) ──────┘        └─transfer─┘
    queued / with_advocate ──youth ends ("bye", "back to bot")──▶ bot

Every transition is one conditional UPDATE (`… WHERE state = 'queued'`), so when fifty advocates press
"claim" at once the database lets exactly one through. Nothing here depends on how long anyone was silent:
the state changes only when a person acts, and time (the injectable `clock`) is only used to stamp and to
order. That is why Rasa's session expiry cannot re-open a paused conversation: the engine is never asked
while the state is queued or with_advocate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from bot.crisis.verdict import LEVELS, level_rank, max_level
from bot.desk.models import DeskUser
from bot.handoff.models import ACTIVE_STATES, Handoff, as_utc
from bot.store import Conversation, ConversationStore, Message, token_matches

Clock = Callable[[], dt.datetime]
FLAGGED_LEVELS = ("urgent", "imminent")
# A crisis-flagged conversation the bot is handling stays on the desk's list this long.
FLAG_WINDOW = dt.timedelta(hours=24)
DEFAULT_MINUTES_PER_PERSON = 5.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def effective_level(risk_level: str | None, priority: str) -> str:
    """The queue orders by this: the conversation's worst crisis level, at least urgent for a crisis request."""
    level = risk_level if risk_level in LEVELS else "none"
    return max_level([level, "urgent" if priority == "crisis" else "none"])


@dataclass(frozen=True)
class QueueItem:
    """What the desk may see of a waiting conversation: never its id, a phone number or the youth's words."""

    handoff_id: int
    state: str  # queued | flagged | with_advocate
    level: str
    categories: list[str]
    evidence: list[str]
    waiting_s: int
    channel: str
    language: str
    advocate: str | None = None
    advocate_id: int | None = None
    priority: str = "normal"
    version: int = 0
    outcome: list[str] | None = None
    # What the youth last searched the directory for (category codes, e.g. ["shelter"]), if they did.
    needs: list[str] = field(default_factory=list)
    conversation_id: str = field(default="", repr=False)  # for the gateway only, never sent to a desk

    def to_dict(self) -> dict[str, Any]:
        return {
            "handoff_id": self.handoff_id, "state": self.state, "level": self.level,
            "categories": self.categories, "evidence": self.evidence, "waiting_s": self.waiting_s,
            "channel": self.channel, "language": self.language, "advocate": self.advocate,
            "priority": self.priority, "version": self.version, "needs": self.needs,
        }


@dataclass
class HandoffService:
    store: ConversationStore
    clock: Clock = field(default=utc_now)

    # ------------------------------------------------------------------------------------------- reads
    async def for_conversation(self, conversation_id: str) -> Handoff | None:
        async with self.store.sessions() as session:
            return await session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id))

    async def authorize(self, conversation_id: str, token: str) -> tuple[Conversation, Handoff | None] | None:
        """The conversation (if the token is its own) with its handoff, in one query: a youth's message
        needs both, and this is the hot path of every handoff."""
        async with self.store.sessions() as session:
            row = (await session.execute(
                select(Conversation, Handoff).outerjoin(Handoff, Handoff.conversation_id == Conversation.id)
                .where(Conversation.id == conversation_id)
            )).first()
        if row is None or not token_matches(row[0], token):
            return None
        return row[0], row[1]

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self.store.sessions() as session:
            return await session.get(Handoff, handoff_id)

    async def on_duty(self) -> int:
        async with self.store.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(DeskUser)
                                         .where(DeskUser.on_duty.is_(True), DeskUser.active.is_(True)))
        return int(count or 0)

    async def queue(self) -> list[QueueItem]:
        """Waiting conversations (and crisis-flagged ones the bot is handling), most serious first, then
        longest waiting first."""
        now = self.clock()
        async with self.store.sessions() as session:
            rows = (await session.execute(
                select(Handoff, Conversation).join(Conversation, Conversation.id == Handoff.conversation_id)
                .where(Handoff.state == "queued")
            )).all()
            flagged = (await session.execute(
                select(Conversation, Handoff).outerjoin(Handoff, Handoff.conversation_id == Conversation.id)
                .where(Conversation.risk_level.in_(FLAGGED_LEVELS), Conversation.risk_at >= now - FLAG_WINDOW)
            )).all()
        items = [self._item(h, c, "queued", now) for h, c in rows]
        for conversation, handoff in flagged:
            if handoff is not None and handoff.state != "bot" and handoff.state != "closed":
                continue
            if handoff is not None and as_utc(handoff.updated_at) >= as_utc(conversation.risk_at):
                continue  # an advocate already handled it after the crisis
            if handoff is None:
                handoff = await self._ensure_row(conversation.id)
            items.append(self._item(handoff, conversation, "flagged", now))
        await self._attach_evidence(items)
        return sorted(items, key=lambda i: (-level_rank(i.level), -i.waiting_s, i.handoff_id))

    async def active_for(self, advocate_id: int | None) -> list[QueueItem]:
        """Conversations with an advocate: one advocate's own, or everyone's (None, for supervisors)."""
        now = self.clock()
        query = (select(Handoff, Conversation, DeskUser.name)
                 .join(Conversation, Conversation.id == Handoff.conversation_id)
                 .outerjoin(DeskUser, DeskUser.id == Handoff.advocate_id)
                 .where(Handoff.state == "with_advocate"))
        if advocate_id is not None:
            query = query.where(Handoff.advocate_id == advocate_id)
        async with self.store.sessions() as session:
            rows = (await session.execute(query.order_by(Handoff.claimed_at))).all()
        items = [self._item(h, c, "with_advocate", now, advocate=name) for h, c, name in rows]
        await self._attach_evidence(items)
        return items

    async def item(self, handoff_id: int) -> QueueItem | None:
        now = self.clock()
        async with self.store.sessions() as session:
            row = (await session.execute(
                select(Handoff, Conversation, DeskUser.name)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .outerjoin(DeskUser, DeskUser.id == Handoff.advocate_id)
                .where(Handoff.id == handoff_id)
            )).first()
        if row is None:
            return None
        handoff, conversation, name = row
        state = handoff.state
        if state in ("bot", "closed") and conversation.risk_level in FLAGGED_LEVELS and (
            conversation.risk_at is not None and as_utc(handoff.updated_at) < as_utc(conversation.risk_at)
        ):
            state = "flagged"
        items = [self._item(handoff, conversation, state, now, advocate=name)]
        await self._attach_evidence(items)
        return items[0]

    async def position(self, conversation_id: str) -> int | None:
        """Place in line among the queued conversations, in the queue's order — from one narrow query (no
        flagged conversations, no evidence): a youth writing while they wait must not rebuild the queue."""
        async with self.store.sessions() as session:
            rows = (await session.execute(
                select(Handoff.id, Handoff.conversation_id, Handoff.priority, Handoff.queued_at,
                       Conversation.risk_level)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .where(Handoff.state == "queued")
            )).all()
        now = self.clock()

        def order(row: Any) -> tuple[int, int, int]:  # as queue() orders: level, then waiting time, then id
            waiting_s = max(0, int((now - (as_utc(row.queued_at) or now)).total_seconds()))
            return (-level_rank(effective_level(row.risk_level, row.priority)), -waiting_s, row.id)

        ordered = sorted(rows, key=order)
        return next((n for n, row in enumerate(ordered, 1) if row.conversation_id == conversation_id), None)

    async def estimated_wait_minutes(self, position: int, advocates: int) -> int:
        """From how long the last claims took (or a default), shared among the advocates on duty."""
        since = self.clock() - dt.timedelta(hours=24)
        async with self.store.sessions() as session:
            recent = (await session.execute(
                select(Handoff.queued_at, Handoff.claimed_at)
                .where(Handoff.claimed_at.is_not(None), Handoff.claimed_at >= since)
                .order_by(Handoff.claimed_at.desc()).limit(20)
            )).all()
        waits = [(as_utc(c) - as_utc(q)).total_seconds() / 60 for q, c in recent if q and c and c >= q]
        per_person = max(1.0, sum(waits) / len(waits)) if waits else DEFAULT_MINUTES_PER_PERSON
        return max(1, math.ceil(per_person * position / max(1, advocates)))

    # ------------------------------------------------------------------------------------- transitions
    async def request(self, conversation_id: str, priority: str = "normal") -> Handoff:
        """bot|closed → queued (asking again while queued keeps the place in line, raising the priority)."""
        handoff = await self._ensure_row(conversation_id)
        now = self.clock()
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(Handoff).where(Handoff.id == handoff.id, Handoff.state.in_(("bot", "closed")))
                .values(state="queued", priority=priority, queued_at=now, claimed_at=None, advocate_id=None,
                        outcome=None, updated_at=now, version=Handoff.version + 1, episodes=Handoff.episodes + 1)
            )
            if result.rowcount == 0 and priority == "crisis":  # type: ignore[attr-defined]
                await session.execute(update(Handoff).where(Handoff.id == handoff.id)
                                      .values(priority="crisis", version=Handoff.version + 1))
        refreshed = await self.get(handoff.id)
        assert refreshed is not None
        return refreshed

    async def claim(self, handoff_id: int, advocate_id: int) -> bool:
        """Exactly one advocate wins: queued, or a crisis-flagged conversation the bot is handling."""
        now = self.clock()
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.state == "queued")
                .values(state="with_advocate", advocate_id=advocate_id, claimed_at=now, updated_at=now,
                        version=Handoff.version + 1)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
            flagged = select(Conversation.id).where(Conversation.risk_level.in_(FLAGGED_LEVELS))
            result = await session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.state.in_(("bot", "closed")),
                                      Handoff.conversation_id.in_(flagged))
                .values(state="with_advocate", advocate_id=advocate_id, claimed_at=now, queued_at=now,
                        priority="crisis", updated_at=now, version=Handoff.version + 1,
                        episodes=Handoff.episodes + 1)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    async def transfer(self, handoff_id: int, from_advocate: int | None, to_advocate: int) -> bool:
        """Hand a conversation to another advocate (from_advocate None: a supervisor moving anyone's)."""
        condition = [Handoff.id == handoff_id, Handoff.state == "with_advocate"]
        if from_advocate is not None:
            condition.append(Handoff.advocate_id == from_advocate)
        return await self._update(condition, advocate_id=to_advocate)

    async def requeue(self, handoff_id: int, from_advocate: int | None) -> bool:
        """Back into the queue at its priority (keeps its original place in line)."""
        condition = [Handoff.id == handoff_id, Handoff.state == "with_advocate"]
        if from_advocate is not None:
            condition.append(Handoff.advocate_id == from_advocate)
        return await self._update(condition, state="queued", advocate_id=None, claimed_at=None)

    async def release(self, handoff_id: int, from_advocate: int | None, to_state: str,
                      outcome: Iterable[str] = ()) -> bool:
        if to_state not in ("bot", "closed"):
            raise ValueError(f"cannot release to {to_state!r}")
        condition = [Handoff.id == handoff_id, Handoff.state.in_(ACTIVE_STATES)]
        if from_advocate is not None:
            condition.append(Handoff.advocate_id == from_advocate)
        return await self._update(condition, state=to_state, outcome=list(outcome) or None)

    async def youth_ends(self, conversation_id: str) -> Handoff | None:
        """The youth said "bye" or "back to bot": whatever the desk is doing, the bot has them again."""
        handoff = await self.for_conversation(conversation_id)
        if handoff is None:
            return None
        ended = await self._update([Handoff.id == handoff.id, Handoff.state.in_(ACTIVE_STATES)],
                                   state="bot", outcome=["youth_ended"])
        return handoff if ended else None

    async def dismiss(self, handoff_id: int) -> bool:
        """Take a crisis-flagged conversation off the list without picking it up (reviewed, nothing to do)."""
        return await self._update([Handoff.id == handoff_id, Handoff.state.in_(("bot", "closed"))])

    async def return_queued_to_bot(self) -> list[str]:
        """Nobody is on duty any more: nobody may be left waiting in a queue no one watches."""
        async with self.store.sessions() as session:
            waiting = list(await session.scalars(select(Handoff).where(Handoff.state == "queued")))
        returned = []
        for handoff in waiting:
            if await self._update([Handoff.id == handoff.id, Handoff.state == "queued"], state="bot",
                                  outcome=["no_advocate_on_duty"]):
                returned.append(handoff.conversation_id)
        return returned

    # --------------------------------------------------------------------------------------- internals
    async def _update(self, condition: list[Any], **values: Any) -> bool:
        now = self.clock()
        async with self.store.sessions.begin() as session:
            result = await session.execute(update(Handoff).where(*condition)
                                           .values(updated_at=now, version=Handoff.version + 1, **values))
            return result.rowcount == 1  # type: ignore[attr-defined]

    async def _ensure_row(self, conversation_id: str) -> Handoff:
        existing = await self.for_conversation(conversation_id)
        if existing is not None:
            return existing
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        try:
            async with self.store.sessions.begin() as session:
                session.add(Handoff(conversation_id=conversation_id, state="bot", updated_at=epoch))
        except Exception:  # another request created it first (unique conversation_id)
            pass
        created = await self.for_conversation(conversation_id)
        assert created is not None
        return created

    def _item(self, handoff: Handoff, conversation: Conversation, state: str, now: dt.datetime,
              advocate: str | None = None) -> QueueItem:
        since = as_utc(handoff.queued_at if state != "flagged" else conversation.risk_at) or now
        return QueueItem(
            handoff_id=handoff.id, state=state, level=effective_level(conversation.risk_level, handoff.priority),
            categories=[], evidence=[], waiting_s=max(0, int((now - since).total_seconds())),
            channel=conversation.channel, language=conversation.language, advocate=advocate,
            advocate_id=handoff.advocate_id, priority=handoff.priority, version=handoff.version,
            outcome=handoff.outcome, needs=[n for n in (conversation.need or "").split(",") if n],
            conversation_id=conversation.id,
        )

    async def _attach_evidence(self, items: list[QueueItem]) -> None:
        if not items:
            return
        ids = {i.handoff_id for i in items}
        async with self.store.sessions() as session:
            rows = (await session.execute(
                select(Handoff.id, Message.payload).join(Message, Message.conversation_id == Handoff.conversation_id)
                .where(Handoff.id.in_(ids), Message.sender == "user", Message.payload.is_not(None))
                .order_by(Message.id)
            )).all()
        found: dict[int, tuple[list[str], list[str]]] = {}
        for handoff_id, payload in rows:
            crisis = (payload or {}).get("crisis") or {}
            categories, evidence = found.setdefault(handoff_id, ([], []))
            categories.extend(c for c in crisis.get("categories", []) if c not in categories)
            evidence.extend(e for e in crisis.get("evidence", []) if e not in evidence)
        for item in items:
            categories, evidence = found.get(item.handoff_id, ([], []))
            item.categories.extend(categories)
            item.evidence.extend(evidence[-6:])
