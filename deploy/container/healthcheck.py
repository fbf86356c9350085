"""The image's HEALTHCHECK: the port this container's role serves answers ``/healthz``.

``ledger api`` and ``ledger serve`` answer on ``LEDGER_PORT``; ``ledger writer`` and ``ledger
project`` on ``LEDGER_PROBE_LISTEN`` (``ledger.probes``). A container runs one role, so it is
healthy when either answers 200; exit 0, else 1 (what Docker's HEALTHCHECK expects). Only the
standard library: it runs every few seconds and must start fast.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 3.0


def addresses(environ: dict[str, str]) -> list[str]:
    """``host:port`` of each port the ledger may serve here, asked on the loopback address."""
    found = [f"127.0.0.1:{environ.get('LEDGER_PORT', '8080')}"]
    probe = environ.get("LEDGER_PROBE_LISTEN")
    if probe:
        found.append(f"127.0.0.1:{probe.rpartition(':')[2]}")
    return found


def answers(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/healthz", timeout=TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main() -> int:
    return 0 if any(answers(a) for a in addresses(dict(os.environ))) else 1


if __name__ == "__main__":
    sys.exit(main())
