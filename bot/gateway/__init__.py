"""The gateway process (aiohttp): the only front door to the navigator."""
