"""Hostile export files: every oddity is a finding of ``verify --source``, never a traceback,
and ``import`` refuses the file before a single event reaches the log.

A real demo history is exported once per module; each test (and each hypothesis example)
writes an altered copy of it, lines and manifest, and runs ``main(argv)`` on the copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger.audit.exchange import manifest_path
from tests.support.exports import History, exported_history, messages_in_log, run, settings_env

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

Edit = Callable[[dict[str, Any]], None]
Capture = pytest.CaptureFixture[str]
Draw = Callable[[st.SearchStrategy[Any]], Any]


@pytest.fixture(scope="module")
def history(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> History:
    out = tmp_path_factory.mktemp("hostile") / "history.jsonl"
    return exported_history(pg_dsn, f"t{uuid.uuid4().hex[:12]}", out, days=1)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str) -> Iterator[str]:
    """An empty log of this test's own, for the imports that must refuse."""
    settings_env(monkeypatch, pg_dsn, prefix)
    yield prefix
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one


def dump(value: Any) -> bytes:
    """JSON of any value, integers beyond 64 bits included (which orjson cannot write)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def write(lines: list[bytes], manifest: bytes, out: Path) -> Path:
    out.write_bytes(b"".join(lines))
    manifest_path(out).write_bytes(manifest)
    return out


def edited_line(line: bytes, edit: Edit) -> bytes:
    raw = json.loads(line)
    edit(raw)
    return dump(raw) + b"\n"


def first_head(manifest: dict[str, Any]) -> dict[str, Any]:
    head = manifest["streams"][min(manifest["streams"])]
    assert isinstance(head, dict)
    return head


LINE_EDITS: dict[str, tuple[Edit, str]] = {
    "a time before year 1 in UTC": (
        lambda r: r.update(time="0001-01-01T00:00:00+01:00"),
        "unreadable, not an event: not a representable RFC 3339 time",
    ),
    "a time after year 9999 in UTC": (
        lambda r: r.update(recordedat="9999-12-31T23:59:59-01:00"),
        "unreadable, not an event: not a representable RFC 3339 time",
    ),
    "a business time of year 1": (
        lambda r: r.update(time="0001-01-01T00:00:00.000000Z"),
        "business time 0001-01-01T00:00:00+00:00 outside 1900-01-01..3000-01-01",
    ),
    "a non-ASCII prevhash": (lambda r: r.update(prevhash="é" * 64), "prevhash is not a SHA-256 digest"),
    "an unknown stream category": (
        lambda r: r.update(subject="nope:x"),
        "stream id: unknown stream category 'nope'",
    ),
    "a stream version beyond 64 bits": (
        lambda r: r.update(streamversion="9" * 30),
        f"stream version {'9' * 30} out of range",
    ),
    "a schema version of 4,301 digits": (
        lambda r: r.update(schemaversion="9" * 4301),
        "unreadable, not an event: Exceeds the limit",
    ),
    "a stream version as a JSON number": (
        lambda r: r.update(streamversion=1),
        "attribute 'streamversion' is not a string but a number",
    ),
    "an attribute export never writes": (
        lambda r: r.update(extra="x"),
        "attribute 'extra' is not one an export writes",
    ),
    "control characters in the event id": (
        lambda r: r.update(id="a\nb\x1b[31m"),
        "event id holds control characters",
    ),
    "an empty actor": (lambda r: r.update(actor=""), "actor is empty"),
    "data nested deep": (
        lambda r: r.update(data={"x": [[[[[[["deep"]]]]]]]}),
        "data does not match the",
    ),
    "data not an object": (lambda r: r.update(data=[1, 2]), "data is not a JSON object"),
    "a time with an offset": (
        lambda r: r.update(time=r["time"].replace("Z", "+00:00")),
        "not spelled as an export writes it",
    ),
}


@pytest.mark.parametrize("case", sorted(LINE_EDITS))
def test_a_hostile_value_in_a_line_is_a_finding_named_on_one_line(
    history: History, env: str, pg_dsn: str, tmp_path: Path, capsys: Capture, case: str
) -> None:
    edit, expected = LINE_EDITS[case]
    lines = list(history.lines)
    lines[3] = edited_line(lines[3], edit)
    copy = write(lines, manifest_path(history.export).read_bytes(), tmp_path / "hostile.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy), "--lines-only")

    assert status == 1
    assert any(line.startswith("line 4: ") and expected in line for line in out), out
    assert all(line.isprintable() for line in out), out
    refused_before_anything_is_appended(copy, env, pg_dsn, capsys)


MANIFEST_EDITS: dict[str, tuple[Edit, str]] = {
    "a head version that is not a number": (
        lambda m: first_head(m).update(version="a"),
        ".version: Input should be a valid integer",
    ),
    "a head version beyond 64 bits": (
        lambda m: first_head(m).update(version=2**70),
        ".version: Input should",
    ),
    "a head id that differs": (lambda m: first_head(m).update(id="other"), "is not the manifest's head id"),
    "a head that is not an object": (lambda m: m["streams"].update(x=[1]), "streams.x: Input should be"),
    "no partitions": (lambda m: m.update(partitions=None), "partitions: Input should be a valid integer"),
    "partitions zero times too many": (lambda m: m.update(partitions=10**30), "partitions: Input should"),
    "partitions as text": (lambda m: m.update(partitions="2"), "partitions: Input should be a valid integer"),
    "events negative": (lambda m: m.update(events=-1), "events: Input should be greater than or equal to 0"),
    "an area count as a boolean": (
        lambda m: m["areas"].update(inventory=True),
        "areas.inventory: Input should be a valid integer",
    ),
    "a SHA-256 in capitals": (lambda m: m.update(sha256=m["sha256"].upper()), "sha256: String should match"),
    "a field it never writes": (lambda m: m.update(signed=True), "signed: Extra inputs are not permitted"),
    "another format": (lambda m: m.update(format="ledger-export/2"), "is not a ledger-export/1 manifest"),
    "not an object": (lambda m: m.clear(), "is not a ledger-export/1 manifest"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_EDITS))
def test_a_hostile_manifest_is_a_finding_named_on_one_line(
    history: History, env: str, pg_dsn: str, tmp_path: Path, capsys: Capture, case: str
) -> None:
    edit, expected = MANIFEST_EDITS[case]
    manifest = json.loads(manifest_path(history.export).read_bytes())
    edit(manifest)
    copy = write(history.lines, dump(manifest), tmp_path / "hostile.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy))

    assert status == 1
    assert any(expected in line for line in out), out
    refused_before_anything_is_appended(copy, env, pg_dsn, capsys)


def test_bytes_that_are_not_utf8_and_an_unknown_category_amid_the_line_order_are_findings(
    history: History, env: str, pg_dsn: str, tmp_path: Path, capsys: Capture
) -> None:
    lines = list(history.lines)
    lines[2] = lines[2][:20] + b"\xff\xfe" + lines[2][20:]
    lines[5] = edited_line(lines[5], lambda r: r.update(subject="nope:x"))  # placed by the line order check
    manifest = manifest_path(history.export).read_bytes()
    copy = write(lines, manifest, tmp_path / "hostile.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy))

    assert status == 1
    assert any(line.startswith("line 3: - - v0: unreadable, not an event: not JSON: ") for line in out), out
    assert any(line.startswith("line 6: ") and "unknown stream category" in line for line in out), out
    manifest_path(copy).write_bytes(b"\xff" + manifest)
    status, out, _ = run(capsys, "verify", "--source", str(copy))
    assert status == 1
    assert any(line.startswith("manifest: - - v0: manifest ") and "unreadable" in line for line in out), out


def refused_before_anything_is_appended(copy: Path, prefix: str, pg_dsn: str, capsys: Capture) -> None:
    status, out, err = run(capsys, "import", str(copy))
    assert status == 1
    assert out, err  # the findings, one line each
    assert err.splitlines()[-1].startswith(f"ledger: import refused: {len(out)} findings in {copy} ")
    assert messages_in_log(prefix, pg_dsn) == 0


# -- any value, anywhere --------------------------------------------------------------------

huge_ints = st.integers(min_value=2**63) | st.integers(max_value=-(2**63))
non_ascii = st.text(st.characters(min_codepoint=0x80, exclude_categories=["Cs"]), min_size=1, max_size=70)
control = st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=8)
junk = st.recursive(
    st.none() | st.booleans() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)
hostile_values = st.one_of(
    huge_ints,
    non_ascii,
    control,
    st.just(""),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    junk,
    st.sampled_from(["9" * 5000, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "nope:x"]),
)
not_utf8 = st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xfe\xff"])


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _nonempty_object(value: Any) -> bool:
    """A JSON object with a member to replace (an earlier replacement may have left anything)."""
    return isinstance(value, dict) and bool(value)


def hostile_export(data: st.DataObject, history: History) -> tuple[list[bytes], bytes, bool]:
    """The history's lines and manifest with one to three values replaced (or bytes spliced in);
    and whether any line changed. (Drawn step by step: a strategy built on the history would
    carry all of it in its repr.)"""
    draw = data.draw
    lines = list(history.lines)
    manifest = json.loads(manifest_path(history.export).read_bytes())
    lines_changed = False
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["attribute", "data", "new attribute", "bytes", "manifest"]))
        if where == "manifest":
            _replace_in_manifest(draw, manifest)
            continue
        index = draw(st.integers(0, len(lines) - 1))
        if where == "bytes":
            at = draw(st.integers(0, len(lines[index]) - 1))
            lines[index] = lines[index][:at] + draw(not_utf8) + lines[index][at:]
        else:
            try:
                raw = json.loads(lines[index].decode())
            except ValueError:
                continue  # bytes were spliced into it already
            _replace_in_line(draw, raw, where)
            lines[index] = dump(raw) + b"\n"
        lines_changed = True
    assume(lines_changed or dump(manifest) != dump(json.loads(manifest_path(history.export).read_bytes())))
    return lines, dump(manifest), lines_changed


def _replace_in_line(draw: Draw, raw: dict[str, Any], where: str) -> None:
    value = draw(hostile_values)
    if where == "new attribute":
        key = draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in raw))
        raw[key] = value
        return
    target = raw["data"] if where == "data" and _nonempty_object(raw["data"]) else raw
    key = draw(st.sampled_from(sorted(target)))
    assume(not same(target[key], value))
    target[key] = value


def _replace_in_manifest(draw: Draw, manifest: dict[str, Any]) -> None:
    value = draw(hostile_values)
    place = draw(st.sampled_from(["top", "area", "head"]))
    target = manifest
    if place == "area" and _nonempty_object(manifest["areas"]):
        target = manifest["areas"]
    elif place == "head" and _nonempty_object(manifest["streams"]):
        head = manifest["streams"][draw(st.sampled_from(sorted(manifest["streams"])))]
        target = head if _nonempty_object(head) else manifest  # a head replaced already
    key = draw(st.sampled_from(sorted(target)))
    assume(not same(target[key], value))
    target[key] = value


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_values_anywhere_are_findings_of_verify_and_refusals_of_import_never_a_traceback(
    history: History, env: str, pg_dsn: str, tmp_path: Path, capsys: Capture, data: st.DataObject
) -> None:
    lines, manifest, lines_changed = hostile_export(data, history)
    copy = write(lines, manifest, tmp_path / "hostile.jsonl")

    status, out, _ = run(capsys, "verify", "--source", str(copy))
    assert status == 1, out
    *findings, summary = out
    assert findings
    assert summary.startswith(f"verify: {len(findings)} findings: ")
    assert all(line.isprintable() for line in out), out
    if lines_changed:  # every line tells on its own: no manifest needed to see it
        status, out, _ = run(capsys, "verify", "--source", str(copy), "--lines-only")
        assert status == 1, out

    refused_before_anything_is_appended(copy, env, pg_dsn, capsys)
