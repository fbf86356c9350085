"""Idempotency keys, rebuilt from the log so a restarted writer still honours them.

A keyed command's id is a digest of (actor, key, command name, body as sent), and it is
stored in every resulting event as ``causation_id`` beside the key itself. The same key with
the same body therefore maps to the same command id (answer the first result again); the
same key with another body does not (a conflict). Keys belong to the principal that used
them: two clients cannot collide.
"""

from __future__ import annotations

import hashlib

import orjson

from ledger.writer.results import CommandResult, WrittenEvent

Key = tuple[str, str]  # (actor, idempotency key)


def command_digest(actor: str, key: str, name: str, body: object) -> str:
    payload = orjson.dumps([actor, key, name, body], option=orjson.OPT_SORT_KEYS)
    return "cmd-" + hashlib.sha256(payload).hexdigest()[:40]


class IdempotencyIndex:
    """(actor, key) -> the result of the first command that used it."""

    def __init__(self) -> None:
        self._results: dict[Key, CommandResult] = {}

    def get(self, key: Key) -> CommandResult | None:
        return self._results.get(key)

    def remember(self, key: Key, result: CommandResult) -> None:
        self._results.setdefault(key, result)

    def observe(self, key: Key, command_id: str, event: WrittenEvent) -> None:
        """Fold one event read back from the log into the result of its command."""
        known = self._results.get(key)
        if known is None:
            self._results[key] = CommandResult(command_id, (event,))
        elif known.command_id == command_id and all(e.id != event.id for e in known.events):
            self._results[key] = CommandResult(command_id, (*known.events, event))

    def __len__(self) -> int:
        return len(self._results)
