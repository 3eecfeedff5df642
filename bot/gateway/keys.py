"""Typed keys for the gateway's shared state (aiohttp AppKey), so handlers never reach for globals."""

from __future__ import annotations

from aiohttp import ClientSession, web

from bot.conversation import ConversationCore
from bot.desk.accounts import DeskAccounts, LoginLimiter
from bot.desk.audit import AuditLog
from bot.gateway.limits import RateLimiter
from bot.handoff.gate import HandoffGate
from bot.handoff.hub import LiveHub
from bot.handoff.service import Clock, HandoffService
from bot.privacy.retention import Erasure
from bot.settings import Settings
from bot.store import ConversationStore


class Limits:
    """The gateway's rate limiters (bot/gateway/limits.py)."""

    def __init__(self, settings: Settings) -> None:
        self.senders = RateLimiter(settings.sender_burst, settings.sender_per_min)
        self.addresses = RateLimiter(settings.ip_burst, settings.ip_per_min)
        self.new_conversations = RateLimiter(max(1, settings.new_conversations_per_min // 2),
                                             settings.new_conversations_per_min)


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
# Privacy: erasure and retention, rate limits
ERASURE = web.AppKey("erasure", Erasure)
LIMITS = web.AppKey("limits", Limits)
