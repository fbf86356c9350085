"""What every subcommand shares: the bad-input error, a console with its progress meter, and how a
log is named in messages."""

from __future__ import annotations

from rich.console import Console

from ledger.config import Settings
from ledger.logging import configure_logging
from ledger.progress import Meter, meter_for


class UsageError(Exception):
    """Bad input on the command line: one line to stderr, exit 2."""


def progress_meter() -> Meter:
    """A bar on stderr when it is a terminal, else ``progress`` log lines; logging set to match."""
    console = Console(stderr=True)
    # On a terminal the bar tells how the work goes; info records would only break it up.
    configure_logging("warning" if console.is_terminal else "info")
    return meter_for(console)


def log_name(settings: Settings) -> str:
    """The log the settings name, for messages: its topic prefix and where it lives."""
    if settings.kafka_bootstrap is not None:
        return f"the log {settings.topic_prefix!r} on Kafka {settings.kafka_bootstrap}"
    where = "the embedded PostgreSQL" if settings.database_url is None else "PostgreSQL"
    return f"the log {settings.topic_prefix!r} on {where}"
