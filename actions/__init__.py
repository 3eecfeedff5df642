"""Rasa custom actions (rasa-sdk action server). One module per concern; each action is a thin adapter
between the dialogue and a tested service in `resources/` or the texts in `actions/content/`."""
