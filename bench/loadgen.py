"""HTTP load at a fixed arrival rate, through vegeta.

The load is open loop: requests are sent on a schedule whatever the server's answers are
doing, so a slow server shows as higher latency, not as fewer requests (a closed loop of N
clients waiting on each answer hides exactly the stalls we want to see). vegeta paces by
the clock and starts more workers when all are busy; we leave its worker cap unlimited.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import csv
import fcntl
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

VEGETA_MODULE = "github.com/tsenart/vegeta/v12"
VEGETA_VERSION = "v12.12.0"
_GO_FALLBACK = Path("/usr/local/go/bin/go")
_BUILD_TIMEOUT_S = 600
_TAIL_CHARS = 2000


class LoadgenError(RuntimeError):
    """vegeta could not be built or run."""


def _cache_bin() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ledger" / "bin"


def _vegeta_path() -> Path:
    """The version is in the name: a pin bump builds afresh instead of reusing an old binary."""
    return _cache_bin() / f"vegeta-{VEGETA_VERSION}"


def _go() -> str:
    found = shutil.which("go") or (str(_GO_FALLBACK) if _GO_FALLBACK.exists() else None)
    if found is None:
        raise LoadgenError(f"cannot build vegeta {VEGETA_VERSION}: no `go` on PATH or at {_GO_FALLBACK}")
    return found


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr)[-_TAIL_CHARS:]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(go: str, into: Path) -> None:
    """``go install`` into a scratch GOBIN, then one rename: nobody ever sees half a binary."""
    with tempfile.TemporaryDirectory(dir=into.parent, prefix=".vegeta-build-") as scratch:
        env = {**os.environ, "GOBIN": scratch}
        try:
            done = subprocess.run(
                [go, "install", f"{VEGETA_MODULE}@{VEGETA_VERSION}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=_BUILD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise LoadgenError(f"go install of vegeta {VEGETA_VERSION} took over {_BUILD_TIMEOUT_S} s") from e
        built = Path(scratch) / "vegeta"
        if done.returncode != 0 or not built.exists():
            what = f"go install of vegeta {VEGETA_VERSION}"
            raise LoadgenError(f"{what} failed ({done.returncode}):\n{_tail(done)}")
        os.replace(built, into)


def ensure_vegeta() -> Path:
    """The pinned vegeta binary, built once per machine from the Go module proxy."""
    binary = _vegeta_path()
    if binary.exists():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    with _locked(binary.parent / ".vegeta.lock"):
        if not binary.exists():  # another process may have built it while we waited
            _build(_go(), binary)
    return binary


@dataclass(frozen=True)
class Target:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def to_vegeta(self) -> dict[str, object]:
        """One line of vegeta's JSON target format (header values are lists, the body base64)."""
        line: dict[str, object] = {"method": self.method, "url": self.url}
        if self.headers:
            line["header"] = {name: [value] for name, value in self.headers.items()}
        if self.body:
            line["body"] = base64.b64encode(self.body).decode()
        return line


@dataclass(frozen=True)
class AttackResult:
    rate: float  # offered, req/s
    duration_s: float
    latencies_ms: list[float]  # one per request, in send order
    status_codes: collections.Counter[int]  # 0: no HTTP answer (transport error, timeout)
    errors: int  # non-2xx answers and transport errors
    achieved_rate: float  # req/s actually sent, from the send timestamps

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        """Latency in ms at ``q`` in [0, 100], by linear interpolation between closest ranks
        (numpy's default), so p0 is the fastest request and p100 the slowest."""
        return percentile(self.latencies_ms, q)

    def success_ratio(self) -> float:
        """Share of requests answered 2xx; 0 when nothing was sent."""
        return (self.requests - self.errors) / self.requests if self.requests else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), ``q`` in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside [0, 100]")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _go_duration(seconds: float) -> str:
    """Whole milliseconds: Go's ParseDuration takes "1500ms" but not Python's "1e+03s"."""
    return f"{max(1, round(seconds * 1000))}ms"


def _attack_command(
    vegeta: Path, targets: Path, output: Path, *, rate: int, duration_s: float, timeout_s: float, name: str
) -> list[str]:
    command = [
        str(vegeta),
        "attack",
        "-format=json",
        f"-targets={targets}",
        f"-output={output}",
        f"-rate={rate}/s",
        f"-duration={_go_duration(duration_s)}",
        f"-timeout={_go_duration(timeout_s)}",
        "-keepalive=true",
        "-http2=false",
        "-max-body=0",  # bodies are not looked at: don't keep them in the results
    ]
    # No -max-workers: vegeta's default is unlimited, which is what keeps the loop open.
    if name:
        command.append(f"-name={name}")
    return command


def _run(command: list[str], *, timeout_s: float, what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as e:
        raise LoadgenError(f"{what} did not finish in {timeout_s:.0f} s") from e
    if done.returncode != 0:
        raise LoadgenError(f"{what} failed ({done.returncode}):\n{_tail(done)}")


@dataclass(frozen=True)
class _Row:
    seq: int
    timestamp_ns: int
    code: int
    latency_ns: int
    failed: bool


def _rows(csv_path: Path) -> list[_Row]:
    """vegeta's CSV (no header): timestamp ns, code, latency ns, bytes out, bytes in, error,
    body, attack name, seq, method, url, headers. Rows come in completion order."""
    rows = []
    with csv_path.open(newline="") as f:
        for record in csv.reader(f):
            code = int(record[1])
            rows.append(
                _Row(
                    seq=int(record[8]),
                    timestamp_ns=int(record[0]),
                    code=code,
                    latency_ns=int(record[2]),
                    failed=bool(record[5]) or not 200 <= code < 300,
                )
            )
    rows.sort(key=lambda row: row.seq)
    return rows


def _achieved_rate(rows: list[_Row], duration_s: float) -> float:
    """Intervals between the first and last send, so n sends over n-1 gaps."""
    span_ns = rows[-1].timestamp_ns - rows[0].timestamp_ns if rows else 0
    if len(rows) < 2 or span_ns <= 0:
        return len(rows) / duration_s
    return (len(rows) - 1) / (span_ns / 1e9)


def _result(rows: list[_Row], *, rate: int, duration_s: float) -> AttackResult:
    return AttackResult(
        rate=float(rate),
        duration_s=duration_s,
        latencies_ms=[row.latency_ns / 1e6 for row in rows],
        status_codes=collections.Counter(row.code for row in rows),
        errors=sum(row.failed for row in rows),
        achieved_rate=_achieved_rate(rows, duration_s),
    )


def attack(
    targets: Sequence[Target], *, rate: int, duration_s: float, timeout_s: float = 10, name: str = ""
) -> AttackResult:
    """Send ``rate`` requests per second for ``duration_s``, cycling through ``targets`` in order.

    The attack writes vegeta's binary results to a file and they are decoded only after it
    ends, so no decoder competes with the attack for CPU while it runs."""
    if not targets:
        raise ValueError("no targets")
    if rate <= 0 or duration_s <= 0:
        raise ValueError(f"rate and duration must be positive, got {rate}/s for {duration_s} s")
    vegeta = ensure_vegeta()
    with tempfile.TemporaryDirectory(prefix="ledger-vegeta-") as scratch:
        work = Path(scratch)
        (work / "targets.json").write_text("".join(json.dumps(t.to_vegeta()) + "\n" for t in targets))
        command = _attack_command(
            vegeta,
            work / "targets.json",
            work / "results.bin",
            rate=rate,
            duration_s=duration_s,
            timeout_s=timeout_s,
            name=name,
        )
        _run(command, timeout_s=duration_s + timeout_s + 60, what="vegeta attack")
        encode = [str(vegeta), "encode", "--to", "csv", "--output", str(work / "results.csv")]
        _run([*encode, str(work / "results.bin")], timeout_s=120 + duration_s, what="vegeta encode")
        rows = _rows(work / "results.csv")
    return _result(rows, rate=rate, duration_s=duration_s)


async def attack_async(
    targets: Sequence[Target], *, rate: int, duration_s: float, timeout_s: float = 10, name: str = ""
) -> AttackResult:
    """``attack`` in a worker thread, so the caller's event loop keeps running. Cancelling the
    await does not stop vegeta: the attack runs to its end and its result is dropped."""
    return await asyncio.to_thread(
        attack, targets, rate=rate, duration_s=duration_s, timeout_s=timeout_s, name=name
    )
