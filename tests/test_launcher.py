"""`python -m bot run` (what `make run` ends with): starts all three processes, prints the URL, serves the
chat, and SIGTERM stops every one of them and frees their ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.launcher import free_port

ROOT = Path(__file__).resolve().parents[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.stack
def test_run_prints_the_url_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    ports = {"PORT": free_port(), "RASA_PORT": free_port(), "ACTION_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "NAVIGATOR_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{ports['PORT']}"
    try:
        deadline = time.monotonic() + 300
        seen = []
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if f"Navigator is ready: {url}" in line:
                break
        assert any(url in line for line in seen), "".join(seen)
        with urllib.request.urlopen(f"{url}/", timeout=10) as page:
            assert page.status == 200 and b"Quick exit" in page.read()
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as ready:
            assert ready.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    for name, port in ports.items():
        assert not _port_open(port), f"{name} {port} still open after SIGTERM"
