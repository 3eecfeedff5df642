"""SMS channel (Twilio Programmable Messaging): carrier keywords, formatting for SMS, the signed inbound
webhook and TwiML, and an outbound REST client. Building blocks only; the gateway route wires them (see
the design note in channels/sms/README.md).

Like the rest of `channels`, nothing is imported at package level.
"""
