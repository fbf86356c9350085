"""Prometheus metrics, one registry per app (tests build many apps in one process).

Under ``ledger serve`` every role is a process of its own, and ``/metrics`` on any API
worker shows them all: the supervisor names a directory (``PROMETHEUS_MULTIPROC_DIR``, under
the data dir, emptied as it starts) before any child starts, prometheus_client then keeps
each process's values in files there, and ``exposition`` merges the files of every process.
That is prometheus_client's multiprocess mode; it was chosen over each role serving its own
``/metrics`` because projector processes serve no HTTP at all, and because one scrape of one
port then sees the whole box, whichever worker answers. Counters of a process that died stay
in the sum (a restart does not reset a count); gauges count only live processes
(``livemax``), since the supervisor marks a dead child's files as such.
"""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR: Final = "PROMETHEUS_MULTIPROC_DIR"
HTTP_DURATION_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
)  # fmt: skip
"""OpenTelemetry's advised buckets for ``http.server.request.duration``, and two below 5 ms,
the inventory lookup's p99 target."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # OpenTelemetry's ``http.server.request.duration`` (semantic conventions), by the name and
        # labels its Prometheus exporter gives it. The one definition: the aiohttp server
        # instrumentation records its own copy only into a meter provider, and none is installed.
        self.http_duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests (OpenTelemetry http.server.request.duration)",
            ["http_request_method", "http_route", "http_response_status_code"],
            buckets=HTTP_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "ledger_commands",
            "Commands answered, by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.http_responses = Counter(
            "ledger_http_responses",
            "Answers of the public HTTP app by status code (probes aside: /healthz, /readyz, /metrics)",
            ["status"],
            registry=self.registry,
        )
        self.writer_recovery_failures = Counter(
            "ledger_writer_recovery_failures",
            "Failed attempts of the writer to take the lease (lease) or recover the log (recovery), by error",
            ["step", "error"],
            registry=self.registry,
        )
        self.writer_status = Gauge(
            "ledger_writer_status",
            "Writer processes by status: each live writer counts 1 for the status it is in, 0 for the others",
            ["status"],
            registry=self.registry,
            multiprocess_mode="livesum",  # summed over live writers: how many are active, standing by...
        )
        self.writer_standbys_configured = Gauge(
            "ledger_writer_standbys_configured",
            "Hot standbys the writers' settings ask for (LEDGER_WRITER_STANDBYS): what to hold standbys to",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.appends = Histogram(
            "ledger_append_seconds",
            "Time to append one group commit to the log",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.projected = Counter(
            "ledger_projector_events",
            "Events applied by each projector",
            ["projection"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "ledger_projector_lag_events",
            "Events in the log not yet applied",
            ["projection"],
            registry=self.registry,
            multiprocess_mode="livemax",  # one process owns a projection: its value, while it lives
        )
        self.parked = Gauge(
            "ledger_projector_parked",
            "Messages parked in the dead-letter table",
            ["projection"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.restarts = Counter(
            "ledger_projector_restarts",
            "Projector restarts after a failure outside apply (end-watcher: the runtime's watcher)",
            ["projection"],
            registry=self.registry,
        )
        self.retries = Counter(
            "ledger_projector_retries",
            "Transient database or log errors a projector retried from its checkpoint",
            ["projection"],
            registry=self.registry,
        )
        self.command_records = Counter(
            "ledger_command_records",
            "Records of the command topic answered (in a committed transaction), by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.command_intake_lag = Gauge(
            "ledger_command_intake_lag_records",
            "Committed records of the command topic the active writer has not read yet",
            registry=self.registry,
            multiprocess_mode="livemax",  # the active writer's, while it lives
        )
        self.command_intake_restarts = Counter(
            "ledger_command_intake_restarts",
            "Times the command topic's intake failed and started again from the committed offsets, by error",
            ["error"],
            registry=self.registry,
        )
        self.command_records_expired = Counter(
            "ledger_command_records_expired",
            "Offsets of the command topic removed by retention before the writer read them",
            registry=self.registry,
        )
        self.feed_followers = Gauge(
            "ledger_feed_followers",
            "Followers of GET /v1/events connected now: long polls (poll) and Server-Sent Events (stream)",
            ["mode"],
            registry=self.registry,
            multiprocess_mode="livesum",  # every API process has its own
        )
        self.feed_events = Counter(
            "ledger_feed_events_sent",
            "Events sent to followers of GET /v1/events, by mode (poll, stream)",
            ["mode"],
            registry=self.registry,
        )
        self.feed_reads = Counter(
            "ledger_feed_log_reads",
            "Reads of the log for the feed: by the process's one tail, or by a follower behind it",
            ["by"],
            registry=self.registry,
        )
        self.feed_tail_restarts = Counter(
            "ledger_feed_tail_restarts",
            "Times the feed's tail failed and was opened again",
            registry=self.registry,
        )


class SupervisorMetrics:
    """What ``ledger serve`` itself counts: children restarted after they died, by role."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.restarts = Counter(
            "ledger_process_restarts",
            "Child processes of ledger serve restarted after they ended unasked, by role",
            ["role"],
            registry=self.registry,
        )


def exposition(metrics: Metrics) -> bytes:
    """The text ``/metrics`` answers: every process's metrics in multiprocess mode, else this one's."""
    directory = os.environ.get(MULTIPROCESS_DIR)
    if not directory:
        return generate_latest(metrics.registry)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, directory)  # type: ignore[no-untyped-call]  # unannotated upstream
    return generate_latest(merged)
