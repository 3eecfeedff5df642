"""The edges: web chat, SMS, the advocate desk's web side, and the bridge channel Rasa loads.

Nothing here may import third-party packages at package level: `channels.bridge` is also imported by the
Rasa engine on Python 3.10 with only Rasa's own dependencies.
"""
