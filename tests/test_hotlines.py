"""Every hotline the assistant can quote matches the shared reference file, number for number."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from resources.hotlines import fill_lines, hotlines
from tests.numbers import ROOT, digits, quoted_numbers, reference_numbers, reference_rows


def test_every_reference_hotline_is_in_the_directory_with_the_same_numbers() -> None:
    ours = hotlines()
    for line_id, row in reference_rows().items():
        assert line_id in ours, f"{line_id} missing from resources/data/hotlines.yaml"
        assert (ours[line_id].call or "") == row["call"], line_id
        assert (ours[line_id].text or "") == row["text"], line_id
        assert ours[line_id].url == (row["web"] or None), line_id


def test_no_hotline_is_invented() -> None:
    assert set(hotlines()) == set(reference_rows())


def test_each_hotline_cites_its_source_or_the_reference() -> None:
    for line in hotlines().values():
        row = reference_rows()[line.id]
        assert (line.source_url or "") == row["source_url"], line.id


def _content_files() -> list[Path]:
    return [*ROOT.glob("actions/content/*.yml"), *ROOT.glob("bot/content/*.yml")]


def test_texts_name_lines_by_id_and_never_type_a_number() -> None:
    for path in _content_files():
        raw = path.read_text(encoding="utf-8")
        # Strip placeholders; what is left must hold no phone number at all.
        bare = re.sub(r"\{(?:line|call):\w+\}", "", raw)
        assert not quoted_numbers(bare), f"{path}: type numbers via {{line:ID}}, found {quoted_numbers(bare)}"


def test_every_number_in_rendered_texts_matches_the_reference() -> None:
    allowed = reference_numbers()
    for path in _content_files():
        for value in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            rendered = fill_lines(value)
            assert quoted_numbers(rendered) <= allowed, (path, rendered)


def test_the_web_page_quotes_only_reference_numbers() -> None:
    for path in ROOT.glob("channels/webchat/static/*"):
        text = path.read_text(encoding="utf-8")
        assert quoted_numbers(text) <= reference_numbers(), path


def test_digits_normalizes_us_formats() -> None:
    assert digits("1-888-373-7888") == digits("(888) 373-7888") == "8883737888"
    assert quoted_numbers("call 988 or text HOME to 741741") == {"988", "741741"}


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []
