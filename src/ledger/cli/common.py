"""What every subcommand shares: the bad-input error, and a console with its progress meter."""

from __future__ import annotations

from rich.console import Console

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
