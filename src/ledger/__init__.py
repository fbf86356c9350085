"""ledger: an event-sourced ERP-lite backend.

The engine lives here: the envelope and its canonical encoding, the log and its backends,
the writer, the projector runtime, the HTTP app, configuration and the CLI.
"""

__version__ = "0.1.0"
