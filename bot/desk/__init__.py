"""The advocate desk's accounts, sessions, login limits and append-only audit log (web side: channels/desk)."""
