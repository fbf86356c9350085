"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "ledger_commands",
            "Commands answered, by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.writer_recovery_failures = Counter(
            "ledger_writer_recovery_failures",
            "Failed attempts of the writer to take the lease (lease) or recover the log (recovery), by error",
            ["step", "error"],
            registry=self.registry,
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
        )
        self.parked = Gauge(
            "ledger_projector_parked",
            "Messages parked in the dead-letter table",
            ["projection"],
            registry=self.registry,
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
