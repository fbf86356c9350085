"""A smoke run of the whole benchmark on a tiny load, so the harness never rots.

Timings are not judged here (this machine is shared and noisy); what is checked is that
every figure was measured, beside its raw limit where it has one, and written out whole,
and that each figure measured through ``ledger serve`` names the processes it ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import projections
from bench.cli import FIGURES

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

WITH_LIMIT = {"writer.in_process", "writer.http_batch", "writer.takeover", "rebuild.all", "peer.stock"}
ON_SERVE = {"writer.http_batch", "writer.takeover"}


def test_every_figure_is_measured_beside_its_limit(
    kafka_bootstrap: str, pg_dsn: str, repo_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "LEDGER_BENCH_KAFKA_BOOTSTRAP": kafka_bootstrap, "LEDGER_DATABASE_URL": pg_dsn}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "smoke", "--out", str(out), "--workdir", str(tmp_path)],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(out.read_text())
    figures = {f["key"]: f for f in report["figures"]}
    assert report["scale"] == "smoke"
    expected = {
        "writer.in_process",
        "writer.http_batch",
        "writer.business_mix",
        "rebuild.all",
        "writer.rss",
        "writer.takeover",
        "peer.stock",
        *(f"projector.{p.name}" for p in projections.ALL),
        *(f"http.command.p{q}" for q in ("50", "99", "99.9")),
        *(f"http.{what}.p{q}" for what in ("inventory", "attainment") for q in ("50", "99")),
        "http.scale_out.api1",
        "http.scale_out.api2",
    }
    assert set(figures) == expected
    for key, figure in figures.items():
        assert len(figure["ours"]) == 1, key
        assert figure["median"] > 0, key
        if key in WITH_LIMIT or key.startswith(("projector.", "http.")):
            assert figure["limit"], key
            assert figure["limit_median"] > 0, key
            assert figure["ratio"] == pytest.approx(figure["median"] / figure["limit_median"]), key
        if key in ON_SERVE or key.startswith("http."):
            assert set(figure["processes"]) == {"writer", "project", "api"}, key
            assert all(n >= 1 for n in figure["processes"].values()), key
        else:
            assert not figure["processes"], key
    assert figures["http.scale_out.api1"]["processes"]["api"] == 1
    assert figures["http.scale_out.api2"]["processes"]["api"] == 2
    assert figures["writer.takeover"]["processes"]["writer"] >= 2  # the active one and a standby
    assert figures["writer.takeover"]["detail"]["statuses"][0].get("201", 0) > 0
    assert figures["writer.rss"]["detail"]["stock_streams"] == 1000
    assert set(report["environment"]["load_average"]) == set(FIGURES)
    assert "ledger bench (smoke, 1 runs each)" in done.stdout
    assert "on ledger serve: writer" in done.stdout
