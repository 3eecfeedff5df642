"""Live handoff from the bot to a human advocate: the persisted state machine, the queue and live events."""
