"""The image's entry point: settings from secret files, then ``ledger`` with the arguments given.

Compose and Kubernetes hand secrets over as files (``/run/secrets/<name>``, a mounted Secret),
and the ledger reads its settings from the environment alone. So, as the official PostgreSQL
image does, ``LEDGER_<NAME>_FILE=<path>`` sets ``LEDGER_<NAME>`` to that file's content (a
trailing newline is no part of a secret) for every ``<NAME>`` that is a setting of the ledger
(``ledger.config.Settings``). Naming a setting both ways, or a file that cannot be read, stops
the container with a one-line reason. Then this process becomes ``ledger`` (exec: the role
keeps the pid and receives the signals), so ``ps`` shows the role.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

PREFIX = "LEDGER_"
SUFFIX = "_FILE"


class Refused(Exception):
    """A secret file that cannot stand for its setting."""


def resolved(environ: Mapping[str, str], settings: frozenset[str]) -> dict[str, str]:
    """``environ`` with every ``LEDGER_<NAME>_FILE`` of a setting ``<name>`` read into ``LEDGER_<NAME>``."""
    env = dict(environ)
    for key in sorted(environ):
        if not (key.startswith(PREFIX) and key.endswith(SUFFIX)):
            continue
        own, name = key.removeprefix(PREFIX).lower(), key.removeprefix(PREFIX).removesuffix(SUFFIX).lower()
        if own in settings or name not in settings:  # a setting of its own, or not one's file
            continue
        target = key.removesuffix(SUFFIX)
        if target in environ:
            raise Refused(f"both {target} and {key} are set: set one of them")
        try:
            env[target] = Path(environ[key]).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as e:
            raise Refused(f"{key}: cannot read {environ[key]!r}: {e}") from e
        del env[key]
    return env


def main() -> None:
    from ledger.config import Settings

    try:
        env = resolved(os.environ, frozenset(Settings.model_fields))
    except Refused as e:
        sys.exit(f"ledger: {e}")
    os.execvpe("ledger", ["ledger", *sys.argv[1:]], env)


if __name__ == "__main__":
    main()
