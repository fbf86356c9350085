"""The service read model: customer complaints, their life cycle and their SLA clocks.

The tables only record what happened, with business times: one row per complaint as filed,
and one row per later transition (acknowledged, resolved, reopened) keyed by the stream
version. Everything that depends on a point in time (status, first response, resolution,
breaches) is computed at query time "as of" that time, so one set of rows answers any
``as_of`` and the SLA settings can change without a rebuild.

Evaluating a complaint as of ``T`` (only events whose business time is at or before ``T``
count, and only complaints filed at or before ``T`` exist):
- status: the kind of the last counted transition in stream order (``open`` when none, or
  when it is a reopening). Stream order is the order the write model decided in, so "as of
  now" always agrees with it even if a business time was back-dated.
- an event's business time before its complaint's filing counts as the filing time: nothing
  happens to a complaint before it is filed, so no clock runs backwards.
- first response: the earliest counted acknowledgement or resolution (a resolution answers
  the customer too). ``resolved_at``: the time of that last transition when the complaint is
  resolved, else null. Hours are calendar hours from filing, rounded half-up to 2 places.
- a clock is breached when it stopped after its due time, or has not stopped and ``T`` is
  past its due time. A complaint resolved, reopened and resolved again is judged on its last
  resolution; an open one past its resolution due time is breached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from ledger.store import Connection, Fact, q
from schemas import event_types
from schemas.service import (
    ComplaintAcknowledged,
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    Severity,
)

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")
_TRANSITIONS: Mapping[type[object], str] = {
    ComplaintAcknowledged: "acknowledged",
    ComplaintResolved: "resolved",
    ComplaintReopened: "reopened",
}
_CENT = Decimal("0.01")

SlaHours = Mapping[Severity, tuple[Decimal, Decimal]]
"""Per severity: (first response, resolution) within these calendar hours."""


class Service:
    name: ClassVar[str] = "service"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("catalog", "service")
    # What apply reads; the rest of these topics is passed over undecoded.
    event_types: ClassVar[frozenset[str]] = event_types(
        ComplaintFiled, ComplaintAcknowledged, ComplaintResolved, ComplaintReopened
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "complaints")} (
            complaint_id text PRIMARY KEY,
            customer_id text NOT NULL,
            channel text NOT NULL,
            category text NOT NULL,
            severity text NOT NULL,
            order_id text,
            sku text,
            lot_id text,
            filed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS complaints_by_filing ON {q(schema, "complaints")} (filed_at, complaint_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "transitions")} (
            complaint_id text NOT NULL,
            version integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('acknowledged', 'resolved', 'reopened')),
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (complaint_id, version)
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        filed = [(f.envelope, f.event) for f in facts if isinstance(f.event, ComplaintFiled)]
        moved = [
            (f.envelope, e.complaint_id, _TRANSITIONS[type(e)])
            for f in facts
            if isinstance(e := f.event, ComplaintAcknowledged | ComplaintResolved | ComplaintReopened)
        ]
        # Rows are keyed by complaint (filing) and by stream version (transitions) and never
        # updated, so a redelivered fact changes nothing and any split into batches agrees.
        if filed:
            await conn.execute(
                f"INSERT INTO {q(schema, 'complaints')} "
                "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
                "$6::text[], $7::text[], $8::text[], $9::timestamptz[]) ON CONFLICT DO NOTHING",
                [e.complaint_id for _, e in filed],
                [e.customer_id for _, e in filed],
                [e.channel for _, e in filed],
                [e.category for _, e in filed],
                [e.severity for _, e in filed],
                [e.order_id for _, e in filed],
                [e.sku for _, e in filed],
                [e.lot_id for _, e in filed],
                [envelope.occurred_at for envelope, _ in filed],
            )
        if moved:
            await conn.execute(
                f"INSERT INTO {q(schema, 'transitions')} "
                "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::timestamptz[]) "
                "ON CONFLICT DO NOTHING",
                [complaint_id for _, complaint_id, _ in moved],
                [envelope.version for envelope, _, _ in moved],
                [kind for _, _, kind in moved],
                [envelope.occurred_at for envelope, _, _ in moved],
            )


PROJECTION = Service()


def _state_sql(schema: str) -> str:
    """Every complaint as of $1, judged against the SLA arrays $2..$4, filtered and paged.

    $5 status, $6 severity, $7 breached (either clock), $8/$9 the (filed_at, complaint_id)
    to start after, $10/$11 filed in [from, to), $12 limit; a null parameter does not filter.
    Due times add intervals of seconds only (``make_interval(secs => ...)``), never days, so a
    session time zone with daylight saving cannot stretch a clock of calendar hours; the
    clamped event times are never before the filing, so hours are never negative and
    ``round`` (half away from zero) rounds half-up.
    """
    complaints, transitions = q(schema, "complaints"), q(schema, "transitions")
    return f"""
    WITH sla AS (
        SELECT severity,
               make_interval(secs => response_hours * 3600) AS response,
               make_interval(secs => resolution_hours * 3600) AS resolution
        FROM unnest($2::text[], $3::float8[], $4::float8[]) AS s(severity, response_hours, resolution_hours)
    ), state AS (
        SELECT c.complaint_id, c.customer_id, c.channel, c.category, c.severity, c.order_id, c.sku,
               c.lot_id, c.filed_at, answer.at AS first_response_at,
               CASE last.kind WHEN 'acknowledged' THEN 'acknowledged' WHEN 'resolved' THEN 'resolved'
                    ELSE 'open' END AS status,
               CASE WHEN last.kind = 'resolved' THEN last.at END AS resolved_at,
               c.filed_at + sla.response AS response_due_at,
               c.filed_at + sla.resolution AS resolution_due_at
        FROM {complaints} c
        JOIN sla USING (severity)
        LEFT JOIN LATERAL (
            SELECT min(greatest(t.occurred_at, c.filed_at)) AS at FROM {transitions} t
            WHERE t.complaint_id = c.complaint_id AND t.kind <> 'reopened' AND t.occurred_at <= $1
        ) answer ON true
        LEFT JOIN LATERAL (
            SELECT t.kind, greatest(t.occurred_at, c.filed_at) AS at FROM {transitions} t
            WHERE t.complaint_id = c.complaint_id AND t.occurred_at <= $1
            ORDER BY t.version DESC LIMIT 1
        ) last ON true
        WHERE c.filed_at <= $1
          AND ($6::text IS NULL OR c.severity = $6)
          AND ($8::timestamptz IS NULL OR (c.filed_at, c.complaint_id) > ($8, $9::text))
          AND ($10::timestamptz IS NULL OR c.filed_at >= $10)
          AND ($11::timestamptz IS NULL OR c.filed_at < $11)
    ), judged AS (
        SELECT *,
               round(extract(epoch FROM first_response_at - filed_at) / 3600, 2) AS first_response_hours,
               round(extract(epoch FROM resolved_at - filed_at) / 3600, 2) AS resolution_hours,
               coalesce(first_response_at, $1) > response_due_at AS breached_response,
               coalesce(resolved_at, $1) > resolution_due_at AS breached_resolution
        FROM state
    )
    SELECT complaint_id, customer_id, channel, category, severity, order_id, sku, lot_id, status,
           filed_at, first_response_at, resolved_at, first_response_hours, resolution_hours,
           breached_response, breached_resolution, response_due_at, resolution_due_at
    FROM judged
    WHERE ($5::text IS NULL OR status = $5)
      AND ($7::boolean IS NULL OR (breached_response OR breached_resolution) = $7)
    ORDER BY filed_at, complaint_id
    LIMIT $12
    """


@dataclass(frozen=True)
class Filters:
    """Which complaints to list; None filters nothing. ``after`` is the last (filed_at,
    complaint_id) of the previous page; [filed_from, filed_to) bounds the filing time."""

    status: str | None = None
    severity: str | None = None
    breached: bool | None = None
    after: tuple[datetime, str] | None = None
    filed_from: datetime | None = None
    filed_to: datetime | None = None


async def complaints(
    conn: Connection, schema: str, *, as_of: datetime, sla: SlaHours, filters: Filters, limit: int | None
) -> list[dict[str, Any]]:
    """Complaints filed by ``as_of`` as they stood then, by filing time then id, up to ``limit``
    (all with None)."""
    severities = list(sla)
    after_time, after_id = filters.after if filters.after else (None, None)
    rows = await conn.fetch(
        _state_sql(schema),
        as_of,
        severities,
        [float(sla[s][0]) for s in severities],
        [float(sla[s][1]) for s in severities],
        filters.status,
        filters.severity,
        filters.breached,
        after_time,
        after_id,
        filters.filed_from,
        filters.filed_to,
        limit,
    )
    return [dict(r) for r in rows]


async def summary(
    conn: Connection,
    schema: str,
    *,
    as_of: datetime,
    sla: SlaHours,
    filed_from: datetime | None,
    filed_to: datetime | None,
) -> list[dict[str, Any]]:
    """Per severity, complaints filed in [filed_from, filed_to) and by ``as_of``: see ``summarise``."""
    window = Filters(filed_from=filed_from, filed_to=filed_to)
    return summarise(await complaints(conn, schema, as_of=as_of, sla=sla, filters=window, limit=None))


def summarise(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One line per severity (always all four) over judged complaint rows.

    ``open`` counts every complaint not resolved (acknowledged ones included), so
    ``filed = open + resolved``. ``breaches`` counts complaints with either clock breached;
    ``sla_compliance_pct`` is the share with neither, in percent rounded half-up to 2 places
    (null when none were filed). Medians and p90 run over the complaints that have the value,
    on the hours as the list shows them (2 places).
    """
    by_severity: dict[str, list[Mapping[str, Any]]] = {s: [] for s in SEVERITIES}
    for row in rows:
        by_severity.setdefault(row["severity"], []).append(row)
    lines = []
    for severity in SEVERITIES:
        group = by_severity[severity]
        filed = len(group)
        resolved = sum(1 for r in group if r["status"] == "resolved")
        breaches = len(group) - _within_sla(group)
        responses = [r["first_response_hours"] for r in group if r["first_response_hours"] is not None]
        resolutions = [r["resolution_hours"] for r in group if r["resolution_hours"] is not None]
        lines.append(
            {
                "severity": severity,
                "filed": filed,
                "open": filed - resolved,
                "resolved": resolved,
                "median_first_response_hours": median(responses),
                "p90_first_response_hours": nearest_rank(responses, 90),
                "median_resolution_hours": median(resolutions),
                "breaches": breaches,
                "sla_compliance_pct": sla_compliance_pct(group),
            }
        )
    return lines


def _within_sla(rows: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for r in rows if not (r["breached_response"] or r["breached_resolution"]))


def sla_compliance_pct(rows: Sequence[Mapping[str, Any]]) -> Decimal | None:
    """The share of judged complaints that breached neither clock, in percent rounded half-up
    to 2 places; None with none. The summary's per severity, and the plan's over a period."""
    return percent(_within_sla(rows), len(rows))


async def sla_compliance_of(
    conn: Connection, schema: str, *, as_of: datetime, sla: SlaHours, filed_from: datetime, filed_to: datetime
) -> Decimal | None:
    """``sla_compliance_pct`` of every complaint filed in [filed_from, filed_to) and by ``as_of``,
    judged at ``as_of``: the summary's figure over all severities at once."""
    window = Filters(filed_from=filed_from, filed_to=filed_to)
    rows = await complaints(conn, schema, as_of=as_of, sla=sla, filters=window, limit=None)
    return sla_compliance_pct(rows)


def median(values: Sequence[Decimal]) -> Decimal | None:
    """The middle value; for an even count the mean of the two middle ones, rounded half-up to
    2 places. None when there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return ((ordered[middle - 1] + ordered[middle]) / 2).quantize(_CENT, rounding=ROUND_HALF_UP)


def nearest_rank(values: Sequence[Decimal], percentile: int) -> Decimal | None:
    """The nearest-rank percentile: the smallest value with at least ``percentile`` % of the
    values at or below it, i.e. the value at rank ceil(percentile / 100 * n) counting from 1
    in ascending order. Always one of the values. None when there are no values."""
    if not values:
        return None
    rank = max(1, -(-percentile * len(values) // 100))
    return sorted(values)[rank - 1]


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole * 100`` rounded half-up to 2 places; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_CENT, rounding=ROUND_HALF_UP)
