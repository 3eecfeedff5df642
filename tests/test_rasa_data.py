"""The assistant's training data, domain and config pass Rasa's own validator with no warnings."""

from __future__ import annotations

import os
import subprocess

from bot.launcher import RASA_BIN
from tests.numbers import ROOT


def test_rasa_data_validate_is_clean() -> None:
    env = {**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [str(RASA_BIN), "data", "validate", "--fail-on-warnings", "--domain", "domain.yml", "--data", "data",
         "--config", "config.yml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
