"""The inventory read model (being built): its tables, batched SQL and queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ledger.store import Connection, Fact


class Inventory:
    name: ClassVar[str] = "inventory"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("catalog", "inventory", "sales")

    def ddl(self, schema: str) -> str:
        return ""

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        return None


PROJECTION = Inventory()
