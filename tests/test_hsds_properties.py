"""Property tests: whatever arrives, the importer answers with problems or imports all — never a crash,
never half an import."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.importer import import_paths, read_batch
from tests.hsds_support import EXAMPLES, counts, dump, example_map, localised, sqlite_engine

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                       st.text(max_size=30))
_json = st.recursive(_json_leaf, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)), max_leaves=25)
_KEYS = ("id", "name", "description", "status", "url", "email", "minimum_age", "maximum_age", "assured_date",
         "alert", "phones", "schedules", "service_at_locations", "attributes", "organization", "organization_id",
         "languages", "service_areas", "latitude", "longitude", "addresses", "services", "contents", "opens_at",
         "closes_at", "byday", "number", "type", "location", "taxonomy_term")


def _valid() -> list[dict[str, Any]]:
    return [json.loads(localised((EXAMPLES / "service_full.json").read_text()))]


def _mutate(doc: Any, path: list[int], key: str, value: Any) -> Any:
    """Replace or add `key` in the dict reached by following `path` through the document."""
    node = doc
    for step in path:
        children = [v for v in (node.values() if isinstance(node, dict) else node)
                    if isinstance(v, (dict, list))] if isinstance(node, (dict, list)) else []
        if not children:
            break
        node = children[step % len(children)]
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node) if path else 0] = value
    return doc


def _import_is_all_or_nothing(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good = folder / "good.json"
        good.write_text(localised((EXAMPLES / "organization_list.json").read_text()))
        path = folder / "input.json"
        path.write_text(json.dumps(doc, allow_nan=True))
        engine = sqlite_engine(folder)
        report = import_paths(engine, [good, path], taxonomy=example_map())
        for problem in report.problems:
            assert problem.where and problem.field and problem.message
        services, organizations = counts(engine)
        if report.ok:
            assert services == len(report.created) and organizations >= 1
        else:
            assert (services, organizations) == (0, 0), "a refused import must leave nothing behind"
        engine.dispose()


@given(_json)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_json_never_crashes_or_half_imports(doc: Any) -> None:
    _import_is_all_or_nothing(doc)


@given(st.lists(st.integers(0, 50), max_size=6), st.sampled_from(_KEYS), _json)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_garbled_valid_records_never_crash_or_half_import(path: list[int], key: str, value: Any) -> None:
    _import_is_all_or_nothing(_mutate(_valid(), path, key, value))


@given(st.binary(max_size=400), st.sampled_from(["x.json", "services.csv", "x.yaml", "organizations.csv"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_garbled_files_never_crash(content: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        batch = read_batch([path], example_map())
        for problem in batch.problems:
            assert str(problem).count(":") >= 2


@given(st.integers(0, 2000), st.binary(min_size=1, max_size=8))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_valid_file_with_bytes_spliced_in_is_all_or_nothing(offset: int, junk: bytes) -> None:
    text = localised((EXAMPLES / "service_full.json").read_text()).encode()
    offset %= len(text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spliced.json"
        path.write_bytes(text[:offset] + junk + text[offset:])
        engine = sqlite_engine(Path(tmp))
        report = import_paths(engine, [path], taxonomy=example_map())
        assert counts(engine)[0] == (len(report.created) if report.ok else 0)
        engine.dispose()


def test_the_all_or_nothing_check_can_fail(tmp_path: Path) -> None:
    """A valid import does write: the property above is not vacuous."""
    path = tmp_path / "svc.json"
    path.write_text(json.dumps(_valid()))
    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [path], taxonomy=example_map())
    assert report.ok and counts(engine)[0] == 1
    assert dump(engine)["services"]
