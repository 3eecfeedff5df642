"""Typed keys for the gateway's shared state (aiohttp AppKey), so handlers never reach for globals."""

from __future__ import annotations

from aiohttp import ClientSession, web

from bot.conversation import ConversationCore
from bot.desk.accounts import DeskAccounts, LoginLimiter
from bot.desk.audit import AuditLog
from bot.handoff.gate import HandoffGate
from bot.handoff.hub import LiveHub
from bot.handoff.service import Clock, HandoffService
from bot.settings import Settings
from bot.store import ConversationStore

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", ConversationStore)
HTTP = web.AppKey("http", ClientSession)
CORE = web.AppKey("core", ConversationCore)
# The live handoff and the advocate desk
CLOCK = web.AppKey("clock", Clock)
HANDOFFS = web.AppKey("handoffs", HandoffService)
HUB = web.AppKey("hub", LiveHub)
GATE = web.AppKey("gate", HandoffGate)
ACCOUNTS = web.AppKey("accounts", DeskAccounts)
AUDIT = web.AppKey("audit", AuditLog)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
