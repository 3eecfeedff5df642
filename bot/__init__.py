"""Conversation core and gateway: routing between bot and advocate, crisis layer, privacy, settings, CLI."""
