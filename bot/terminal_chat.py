"""`make chat`: talk to a running navigator from a terminal, through the same HTTP API as the web page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def _post(url: str, body: dict[str, Any] | None, token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _print_message(message: dict[str, Any]) -> None:
    if message.get("text"):
        print(f"bot> {message['text']}")
    for card in message.get("resources") or []:
        contact = " · ".join(x for x in (card.get("phone"), card.get("text") and f"text {card['text']}") if x)
        distance = f" · {card['distance_km']} km" if card.get("distance_km") is not None else ""
        print(f"   [{card.get('category')}] {card.get('name')} — {contact or card.get('url') or ''}")
        print(f"      {card.get('address')} · {card.get('hours')}{distance} · checked {card.get('verified_on')}")
    for index, button in enumerate(message.get("buttons") or [], start=1):
        print(f"   ({index}) {button['title']}")


def chat_loop(base_url: str) -> int:
    started = _post(f"{base_url}/api/conversations", None)
    conversation, token = started["conversation_id"], started["token"]
    buttons: list[dict[str, str]] = []
    print('Type a message (a number picks a button; Ctrl-D to quit).')
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not text:
            continue
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            reply = _post(f"{base_url}/api/conversations/{conversation}/messages", {"text": text}, token)
        except urllib.error.HTTPError as exc:
            print(f"error {exc.code}: {exc.read().decode(errors='replace')}")
            continue
        buttons = []
        for message in reply["messages"]:
            _print_message(message)
            buttons = message.get("buttons") or buttons
