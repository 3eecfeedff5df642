"""Privacy by design: redaction of what identifies a person in free text, pseudonymous conversation keys,
and sealed (encrypted) storage of the one identifier we must keep to answer by SMS.

Each concern is its own module (redact, pseudonym, sealed) so the gateway can use them without importing
spaCy where it does not need it.
"""
