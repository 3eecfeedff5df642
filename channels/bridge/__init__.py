"""Authenticated link between the gateway and the Rasa engine (HMAC-signed requests on loopback)."""
