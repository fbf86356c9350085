"""A snapshot's version covers every class it pickles, and loading refuses any other class."""

from __future__ import annotations

import io
import pickle
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handlers import DomainError, decide, evolve
from ledger.writer.results import CommandResult, WrittenEvent
from ledger.writer.snapshots import model_version, unpickle, versioned_modules
from ledger.writer.state import WriterState
from tests.support.history import company_history

ROOT = Path(__file__).resolve().parents[2]


def a_company_state() -> WriterState:
    """The writer's state after a quarter of the demo company, with remembered idempotency keys."""
    state = WriterState()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for i, request in enumerate(company_history(days=90, seed=7)):
        command = request.command
        if command.occurred_at is None:
            command = command.model_copy(update={"occurred_at": now})
        try:
            events = decide(state.model, command)
        except DomainError:
            continue
        for event in events:
            evolve(state.model, event)
            state.heads[event.stream()] = (1, "hash")
        if i % 100 == 0:
            written = WrittenEvent("id", "T", "stream", 1, "topic", 0, i)
            state.idempotency.remember(("actor", f"key-{i}"), CommandResult(f"cmd-{i}", (written,)))
    state.model.journal.commit()
    return state


class _Recording(pickle.Unpickler):
    """Loads a pickle and notes the module of every class it names."""

    def __init__(self, blob: bytes) -> None:
        super().__init__(io.BytesIO(blob))
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        self.modules.add(module)
        return super().find_class(module, name)


def test_every_module_whose_classes_a_snapshot_holds_is_versioned() -> None:
    blob = pickle.dumps(a_company_state(), pickle.HIGHEST_PROTOCOL)
    recording = _Recording(blob)
    recording.load()
    first_party = {m for m in recording.modules if m.split(".")[0] in ("ledger", "handlers", "schemas")}
    assert first_party >= {"ledger.writer.state", "ledger.writer.results", "handlers.model"}
    assert first_party <= versioned_modules()
    assert all(m.split(".")[0] in sys.stdlib_module_names for m in recording.modules - first_party)
    assert pickle.dumps(unpickle(blob), pickle.HIGHEST_PROTOCOL) == blob  # the guarded load refuses none


def modules_under(directory: Path, package: str) -> set[str]:
    names = set()
    for path in directory.rglob("*.py"):
        parts = path.relative_to(directory).with_suffix("").parts
        names.add(".".join((package, *parts)).removesuffix(".__init__"))
    return names


def test_the_version_digests_handlers_schemas_and_the_writer_whole() -> None:
    expected = (
        modules_under(ROOT / "handlers", "handlers")
        | modules_under(ROOT / "schemas", "schemas")
        | modules_under(ROOT / "src" / "ledger" / "writer", "ledger.writer")
        | {"ledger.log.position"}
    )
    assert {"ledger.writer.service", "ledger.writer.idempotency", "handlers.model"} <= expected
    assert versioned_modules() == expected
    assert len(model_version()) == 16


@dataclass(frozen=True)
class Outsider:
    note: str


def test_a_class_outside_the_versioned_code_is_refused_on_load() -> None:
    with pytest.raises(pickle.UnpicklingError, match="Outsider"):
        unpickle(pickle.dumps({"state": Outsider("x")}))
    with pytest.raises(pickle.UnpicklingError, match=r"os\.system"):
        unpickle(b"cos\nsystem\n(S'true'\ntR.")  # the classic: a pickle that runs a command
