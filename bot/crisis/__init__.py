"""Crisis layer: reads every inbound message first and says how urgent it is (see detector.py)."""

from bot.crisis.detector import CrisisDetector
from bot.crisis.verdict import CATEGORIES, LEVELS, CrisisVerdict

__all__ = ["CATEGORIES", "LEVELS", "CrisisDetector", "CrisisVerdict"]
