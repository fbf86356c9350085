"""The console's vendored browser libraries are exactly the npm packages package-lock.json
pins (deploy/console/vendor.sh copies them), so a vendored file cannot drift or be edited."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.http.console import STATIC
from tests.support.unavailable import unavailable

VENDOR = Path(__file__).resolve().parents[2] / "deploy" / "console"


def test_the_vendored_libraries_are_the_pinned_npm_packages_byte_for_byte() -> None:
    modules = VENDOR / "node_modules"
    if not (modules / ".ledger-installed").exists():
        missing = FileNotFoundError("deploy/console/install.sh installs them")
        unavailable("the console's npm packages", missing)
    lines = (VENDOR / "vendored.tsv").read_text().splitlines()
    listed = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert any(target.endswith("chart.umd.min.js") for _, target in listed)
    for source, target in listed:
        pinned = hashlib.sha256((modules / source).read_bytes()).hexdigest()
        vendored = hashlib.sha256((STATIC / target).read_bytes()).hexdigest()
        assert vendored == pinned, f"{target} differs from {source}: run deploy/console/vendor.sh"
    assert (STATIC / "vendor" / "chart.js" / "LICENSE.md").stat().st_size > 0
