"""How actions speak: every bot message is one custom payload the gateway understands as a whole
(`text`, optional `buttons`, `resources` cards and control fields such as `handoff`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.content import Button


def send(
    dispatcher: CollectingDispatcher,
    text: str,
    buttons: list[Button] | None = None,
    resources: list[dict[str, Any]] | None = None,
    **control: Any,
) -> None:
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = buttons
    if resources:
        payload["resources"] = resources
    payload.update(control)
    dispatcher.utter_message(json_message=payload)
