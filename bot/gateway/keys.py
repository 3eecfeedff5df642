"""Typed keys for the gateway's shared state (aiohttp AppKey), so handlers never reach for globals."""

from __future__ import annotations

from aiohttp import ClientSession, web

from bot.conversation import ConversationCore
from bot.settings import Settings
from bot.store import ConversationStore

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", ConversationStore)
HTTP = web.AppKey("http", ClientSession)
CORE = web.AppKey("core", ConversationCore)
