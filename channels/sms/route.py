"""The aiohttp side of POST /sms/twilio: read the body within a limit, verify and parse, handle, answer TwiML.

The gateway adds it with `app.router.add_post(WEBHOOK_PATH, sms_route(settings, handler))`. A rejected
request gets its status and a short plain reason; nothing about it is stored or handed on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.sms.config import TwilioSettings
from channels.sms.handler import SmsHandler
from channels.sms.twilio_webhook import (
    MAX_BODY_BYTES,
    TWIML_CONTENT_TYPE,
    Rejection,
    parse_inbound,
    twiml_response,
)

log = logging.getLogger(__name__)


def sms_route(settings: TwilioSettings, handler: SmsHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def sms_twilio(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="body too large")
        try:
            body = await request.content.read(MAX_BODY_BYTES + 1)
        except (ConnectionError, ValueError):
            return web.Response(status=400, text="unreadable body")
        # Twilio signs the URL it called: our public URL, with the query string as it was sent.
        url = settings.webhook_url + (f"?{request.query_string}" if request.query_string else "")
        result = parse_inbound(body=body, headers=request.headers, url=url, auth_token=settings.auth_token,
                               account_sid=settings.account_sid)
        if isinstance(result, Rejection):
            log.warning("sms webhook rejected: %s", result.reason)
            return web.Response(status=result.status, text=result.reason)
        bodies = await handler.handle(result)
        return web.Response(text=twiml_response(bodies), content_type=TWIML_CONTENT_TYPE, charset="utf-8")

    return sms_twilio
