"""What the deployment tests share: the repository's paths, the ledger's settings and commands,
and the image's scripts loaded as modules (they live in deploy/container/, outside any package)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from functools import cache
from pathlib import Path
from types import ModuleType

from ledger.cli import main
from ledger.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ROLES = ("serve", "writer", "project", "api")


def setting_names() -> frozenset[str]:
    """Every ``LEDGER_*`` variable the ledger reads."""
    return frozenset(f"LEDGER_{name.upper()}" for name in Settings.model_fields)


def is_setting(variable: str) -> bool:
    """A setting, or the secret file of one (``LEDGER_<NAME>_FILE``, deploy/container/entrypoint.py)."""
    return variable in setting_names() or variable.removesuffix("_FILE") in setting_names()


@cache
def is_command(name: str) -> bool:
    """``ledger <name>`` is a command of the ledger's CLI (its ``--help`` exits 0, an unknown one 2)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main([name, "--help"])
        except SystemExit as e:
            return e.code == 0
    return False


def script(name: str) -> ModuleType:
    """``deploy/container/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(f"container_{name}", DEPLOY / "container" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
