"""The image's two scripts: secrets read from files into settings, and the health check.

The entry point runs for real (it becomes ``ledger``, which then judges the setting it was
handed); the health check asks a real HTTP server on the loopback address.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.processes import free_port

from .support import DEPLOY, script

entrypoint = script("entrypoint")
healthcheck = script("healthcheck")
SETTINGS = frozenset({"admin_token", "internal_secret", "database_url", "port"})


def test_a_setting_s_file_becomes_the_setting_and_its_trailing_newline_goes(tmp_path: Path) -> None:
    token = tmp_path / "admin_token"
    token.write_text("a-token-of-twenty-chars\n")
    env = entrypoint.resolved(
        {"LEDGER_ADMIN_TOKEN_FILE": str(token), "LEDGER_PORT": "8080", "HOME": "/x"}, SETTINGS
    )
    assert env == {"LEDGER_ADMIN_TOKEN": "a-token-of-twenty-chars", "LEDGER_PORT": "8080", "HOME": "/x"}


def test_only_the_files_of_real_settings_are_read(tmp_path: Path) -> None:
    environ = {"LEDGER_NOT_A_SETTING_FILE": "/nowhere", "OTHER_FILE": "/nowhere"}
    assert entrypoint.resolved(environ, SETTINGS) == environ


def test_a_setting_named_twice_or_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("0123456789abcdef0123")
    with pytest.raises(
        entrypoint.Refused, match="both LEDGER_INTERNAL_SECRET and LEDGER_INTERNAL_SECRET_FILE"
    ):
        entrypoint.resolved(
            {"LEDGER_INTERNAL_SECRET": "x", "LEDGER_INTERNAL_SECRET_FILE": str(secret)}, SETTINGS
        )
    with pytest.raises(entrypoint.Refused, match="LEDGER_DATABASE_URL_FILE: cannot read"):
        entrypoint.resolved({"LEDGER_DATABASE_URL_FILE": str(tmp_path / "missing")}, SETTINGS)


def test_the_entry_point_hands_the_file_s_secret_to_ledger_which_judges_it(tmp_path: Path) -> None:
    short = tmp_path / "admin_token"
    short.write_text("too-short\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {"LEDGER_ADMIN_TOKEN_FILE": str(short), "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"}
    ran = subprocess.run(
        [sys.executable, str(DEPLOY / "container" / "entrypoint.py"), "schemas", "--out", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2
    assert (
        ran.stderr.strip()
        == "ledger: bad setting LEDGER_ADMIN_TOKEN: 9 characters is too short: give at least 16"
    )


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def serving() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_health_check_asks_the_api_port_or_the_probe_port(
    serving: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    for port, probe in ((serving, None), (closed, f"0.0.0.0:{serving}")):
        monkeypatch.setenv("LEDGER_PORT", str(port))
        if probe is None:
            monkeypatch.delenv("LEDGER_PROBE_LISTEN", raising=False)
        else:
            monkeypatch.setenv("LEDGER_PROBE_LISTEN", probe)
        assert healthcheck.main() == 0
    monkeypatch.setenv("LEDGER_PROBE_LISTEN", f"0.0.0.0:{closed}")
    assert healthcheck.main() == 1
