"""HTTP tests: the whole app in process, through aiohttp's test client.

pyproject's ``pythonpath`` puts ``tests/`` on ``sys.path`` (so that ``support`` imports), and
there this package's directory would stand in for the standard library's ``http`` in every
later ``import http`` (aiohttp's included). The standard module is therefore imported here,
with ``tests/`` off the path for that one import, so ``sys.modules`` holds the real one.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _import_standard_http() -> None:
    if "http" in sys.modules:
        return
    tests_dir = Path(__file__).resolve().parent.parent
    saved = list(sys.path)
    sys.path[:] = [entry for entry in saved if Path(entry or ".").resolve() != tests_dir]
    try:
        importlib.import_module("http")
    finally:
        sys.path[:] = saved


_import_standard_http()
