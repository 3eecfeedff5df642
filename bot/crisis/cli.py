"""`python -m bot crisis-check`: one message per line on stdin, one JSON verdict per line on stdout."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from typing import TextIO

from bot.crisis.detector import CrisisDetector


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot crisis-check", description=__doc__)
    parser.add_argument("--evidence", action="store_true", help="also print the matched phrases")
    args = parser.parse_args(argv)
    detector = CrisisDetector()
    try:
        _check_lines(detector, _utf8_stdin(), sys.stdout, args.evidence)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _check_lines(detector: CrisisDetector, source: TextIO, sink: TextIO, evidence: bool) -> None:
    while line := source.readline():
        verdict = detector.detect(line.rstrip("\r\n"))
        out: dict[str, object] = {"level": verdict.level, "categories": list(verdict.categories)}
        if evidence:
            out["evidence"] = list(verdict.evidence)
        sink.write(json.dumps(out, ensure_ascii=False) + "\n")
        sink.flush()


def _utf8_stdin() -> TextIO:
    """Invalid bytes must not end the stream: they become U+FFFD and the line is still judged."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace", newline=None)


if __name__ == "__main__":
    sys.exit(main())
