"""Row-by-row comparison of a read model's tables in two schemas (live and a rebuild).

Read models are disposable: rebuilt from the log they must equal the live tables exactly.
A difference names the table and the row, as the row's JSON, and which side has it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.store import Connection, q


@dataclass(frozen=True)
class Difference:
    table: str
    side: str  # "live only" or "rebuild only"
    row: str


async def tables(conn: Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name",
        schema,
    )
    return [r["table_name"] for r in rows]


async def differences(conn: Connection, live: str, rebuild: str, *, limit: int = 1000) -> list[Difference]:
    """Every row one side has and the other lacks (multiset semantics), up to ``limit`` per table."""
    found: list[Difference] = []
    live_tables, rebuilt_tables = await tables(conn, live), await tables(conn, rebuild)
    for name in sorted(set(live_tables) ^ set(rebuilt_tables)):
        side = "live only" if name in live_tables else "rebuild only"
        found.append(Difference(name, side, "(the whole table)"))
    for name in sorted(set(live_tables) & set(rebuilt_tables)):
        a, b = q(live, name), q(rebuild, name)
        for side, first, second in (("live only", a, b), ("rebuild only", b, a)):
            rows = await conn.fetch(
                f"SELECT row_to_json(d)::text AS row "
                f"FROM (SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second}) d LIMIT {int(limit)}"
            )
            found.extend(Difference(name, side, r["row"]) for r in rows)
    return found
