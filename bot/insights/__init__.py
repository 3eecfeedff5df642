"""Unmet-needs insights: counts recorded the moment something happens (a search and its outcome, a crisis
protocol, a handoff), keyed only by coarse dimensions — need, county, age band, language, channel, ISO week,
outcome — never by a conversation, a text or a time finer than a week; and every published view of them
small-cell suppressed (bot/insights/suppress.py). See README.md, "Unmet-needs insights"."""
