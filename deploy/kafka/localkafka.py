"""A real Apache Kafka cluster on this machine, from Maven Central jars, without Docker.

The ledger's reference log is Kafka, and its end-to-end, contract and fault tests must run
against the real broker, not a fake. Containers are not available everywhere (CI runners,
sandboxes, laptops without a daemon), and apache.org downloads are not either, but Maven
Central and a JDK usually are. So this module:

* resolves the broker's jar set (``org.apache.kafka:kafka_2.13`` plus a log4j binding, see
  ``pom.xml`` beside this file) with Maven into a cache directory, once;
* formats KRaft storage and starts 1 or 3 combined broker+controller JVMs on free
  127.0.0.1 ports, with settings that suit tests (small heap, quiet logs, replication and
  ``min.insync.replicas`` that fit the cluster size);
* gives each node a second listener, ``PROXIED``, which advertises a port nothing listens on
  until a fault test puts a TCP proxy there: clients that bootstrap through the proxies stay
  on them, so a test can cut, delay or drop their traffic;
* lets tests stop, kill and restart single nodes, and records pids and ports in a JSON state
  file so the command line can start a detached cluster and stop it later;
* on request, adds authenticated listeners beside ``PLAINTEXT``: ``SASL_PLAINTEXT`` with
  SCRAM-SHA-512 (``sasl``), ``SSL`` with client certificates and ``SASL_SSL`` (``tls``); see
  ``localkafka_security.py``.

Standard library only, so the wrapper script ``deploy/kafka/kafka`` runs it with any
``python3`` >= 3.11::

    deploy/kafka/kafka start [--nodes 3] [--dir DIR]   # last stdout line: LEDGER_KAFKA_BOOTSTRAP=...
    deploy/kafka/kafka start --sasl                    # the LEDGER_KAFKA_* lines of the SCRAM listener
    deploy/kafka/kafka status [--dir DIR]
    deploy/kafka/kafka stop [--dir DIR]

From Python::

    with LocalKafka(nodes=3) as kafka:
        use(kafka.bootstrap)        # "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
        kafka.kill_node(0)
        kafka.start_node(0)

Environment: ``LEDGER_KAFKA_JARS`` (jar cache directory), ``JAVA_HOME`` (which ``java``),
``LEDGER_KAFKA_JVM_OPTS`` (extra JVM options for the brokers, split on whitespace).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from localkafka_security import Sasl, ScramUser, Tls, merged, node_settings, protocols

__all__ = [
    "KAFKA_VERSION",
    "KafkaNode",
    "LocalKafka",
    "LocalKafkaError",
    "Sasl",
    "ScramUser",
    "Tls",
    "default_jars_dir",
    "ensure_jars",
    "main",
    "metadata_brokers",
]

KAFKA_VERSION = "3.9.1"
HOST = "127.0.0.1"
POM = Path(__file__).resolve().with_name("pom.xml")
STATE_FILE = "state.json"
DEFAULT_CLI_DIR = Path(".cache") / "kafka"

_MARKER = ".complete"
_BROKER_MAIN = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"
_TAIL_LINES = 40


class LocalKafkaError(RuntimeError):
    """Fetching the jars, or starting, stopping or reaching a local Kafka node failed."""


# --------------------------------------------------------------------------------------------
# jars


def default_jars_dir() -> Path:
    """``$LEDGER_KAFKA_JARS`` if set, else ``~/.cache/ledger/kafka-<version>/libs``."""
    env = os.environ.get("LEDGER_KAFKA_JARS")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "ledger" / f"kafka-{KAFKA_VERSION}" / "libs"


def _tail(text: str, lines: int = _TAIL_LINES) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # Maven colours some lines even in batch mode
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _file_tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return f"({path} not readable)"
    return _tail(data, lines) or f"({path} is empty)"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_jars(dest: Path | None = None, *, timeout: float = 900.0) -> Path:
    """Return a directory holding the broker's jars, fetching them with Maven the first time.

    The directory is ``dest``, else :func:`default_jars_dir`. A marker file, written only after
    Maven has copied every jar, records the pom it came from: without it (a fetch that died
    half-way) or with another pom, the directory's jars are fetched again. A lock file beside
    the directory keeps concurrent callers from fetching twice.
    """
    dest = (dest or default_jars_dir()).expanduser().resolve()
    pom_digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    marker = dest / _MARKER

    def complete() -> bool:
        try:
            recorded = json.loads(marker.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(recorded, dict) and recorded.get("pom_sha256") == pom_digest

    if complete():
        return dest
    with _locked(dest.parent / f"{dest.name}.lock"):
        if complete():
            return dest
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LocalKafkaError(
                "Maven (mvn) is not on PATH: it is needed once to fetch the Kafka jars from Maven Central"
            )
        dest.mkdir(parents=True, exist_ok=True)
        marker.unlink(missing_ok=True)
        for stale in dest.glob("*.jar"):
            stale.unlink()
        cmd = [
            mvn, "-q", "-B", "-f", str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={dest}",
            "-DincludeScope=runtime",
            "-Dstyle.color=never",
        ]  # fmt: skip
        try:
            done = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else ""
            raise LocalKafkaError(
                f"Maven did not fetch the Kafka jars within {timeout:.0f}s:\n{_tail(output)}"
            ) from exc
        output = done.stdout.decode("utf-8", "replace")
        if done.returncode != 0:
            raise LocalKafkaError(
                f"Maven failed (exit {done.returncode}) to fetch the Kafka jars into {dest}:\n"
                f"$ {' '.join(cmd)}\n{_tail(output)}"
            )
        jars = sorted(p.name for p in dest.glob("*.jar"))
        if f"kafka_2.13-{KAFKA_VERSION}.jar" not in jars:
            raise LocalKafkaError(
                f"Maven succeeded but {dest} has no kafka_2.13-{KAFKA_VERSION}.jar:\n{_tail(output)}"
            )
        tmp = marker.with_name(f"{_MARKER}.tmp")
        tmp.write_text(json.dumps({"pom_sha256": pom_digest, "kafka": KAFKA_VERSION, "jars": jars}, indent=1))
        tmp.replace(marker)
    return dest


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise LocalKafkaError("java is not on PATH (and JAVA_HOME is unset): Kafka needs a JDK 11+")
    return java


# --------------------------------------------------------------------------------------------
# ports, processes, the wire


def _free_ports(count: int) -> list[int]:
    """Distinct ports the kernel reports free (bound to port 0 together, then released)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _cmdline(pid: int) -> str | None:
    """The command line of a live, non-zombie process, or None."""
    proc = Path("/proc") / str(pid)
    if Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            if stat[stat.rindex(")") + 2 :].startswith("Z"):
                return None
            return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except (OSError, ValueError):
            return None
    done = subprocess.run(
        ["ps", "-o", "stat=,command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    line = done.stdout.strip()
    if done.returncode != 0 or not line or line.startswith("Z"):
        return None
    return line.split(None, 1)[1] if " " in line else ""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        buf += chunk
    return bytes(buf)


def metadata_brokers(port: int, host: str = HOST, timeout: float = 2.0) -> dict[int, tuple[str, int]]:
    """Ask the listener at host:port for cluster metadata (Metadata v1, no topics).

    Returns ``{node_id: (advertised host, advertised port)}`` of the brokers the answering
    broker knows as live. Raises OSError if nothing answers.
    """
    client_id = b"localkafka"
    correlation = 7
    request = struct.pack(">hhih", 3, 1, correlation, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        data = _recv_exact(sock, size)
    try:
        got_correlation, count = struct.unpack_from(">ii", data, 0)
        if got_correlation != correlation:
            raise ConnectionError(f"unexpected correlation id {got_correlation}")
        offset = 8
        brokers: dict[int, tuple[str, int]] = {}
        for _ in range(count):
            node_id, host_len = struct.unpack_from(">ih", data, offset)
            offset += 6
            advertised = data[offset : offset + host_len].decode()
            offset += host_len
            (advertised_port, rack_len) = struct.unpack_from(">ih", data, offset)
            offset += 6 + max(rack_len, 0)
            brokers[node_id] = (advertised, advertised_port)
    except struct.error as exc:
        raise ConnectionError(f"malformed metadata response: {exc}") from exc
    return brokers


def _load_state(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


# --------------------------------------------------------------------------------------------
# nodes


@dataclass
class KafkaNode:
    """One combined broker+controller; ``index`` is also its ``node.id``."""

    index: int
    dir: Path
    port: int
    controller_port: int
    proxied_port: int
    proxy_port: int
    pid: int | None = None
    extra_ports: dict[str, int] = field(default_factory=dict)  # authenticated listeners', by protocol
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def bootstrap(self) -> str:
        """host:port of its PLAINTEXT listener."""
        return f"{HOST}:{self.port}"

    @property
    def proxy_bootstrap(self) -> str:
        """host:port that the PROXIED listener advertises (where a test's proxy listens)."""
        return f"{HOST}:{self.proxy_port}"

    @property
    def properties(self) -> Path:
        return self.dir / "server.properties"

    @property
    def server_log(self) -> Path:
        return self.dir / "logs" / "server.log"

    @property
    def console_log(self) -> Path:
        return self.dir / "logs" / "console.log"

    @property
    def running(self) -> bool:
        """Whether its JVM is alive."""
        if self.process is not None:
            return self.process.poll() is None
        if self.pid is None:
            return False
        return self._owns(self.pid)

    def _owns(self, pid: int) -> bool:
        cmd = _cmdline(pid)
        return cmd is not None and _BROKER_MAIN in cmd and str(self.properties) in cmd

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        return (
            f"--- {self.server_log}\n{_file_tail(self.server_log, lines)}\n"
            f"--- {self.console_log}\n{_file_tail(self.console_log, lines)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "dir": str(self.dir),
            "port": self.port,
            "controller_port": self.controller_port,
            "proxied_port": self.proxied_port,
            "proxy_port": self.proxy_port,
            "pid": self.pid,
            **({"extra_ports": self.extra_ports} if self.extra_ports else {}),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KafkaNode:
        return cls(
            index=int(raw["index"]),
            dir=Path(raw["dir"]),
            port=int(raw["port"]),
            controller_port=int(raw["controller_port"]),
            proxied_port=int(raw["proxied_port"]),
            proxy_port=int(raw["proxy_port"]),
            pid=None if raw.get("pid") is None else int(raw["pid"]),
            extra_ports={str(k): int(v) for k, v in dict(raw.get("extra_ports") or {}).items()},
        )


_LOG4J = """\
# Quiet: warnings and errors to a file; the start/stop lines of the server so a reader can see them.
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.Kafka$=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
"""

_TOOLS_LOG4J = """\
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


class LocalKafka:
    """A KRaft cluster of 1 or 3 combined broker+controller nodes on 127.0.0.1.

    ``base_dir`` holds one ``node-<i>`` directory per node (config, data, logs) and the state
    file; without it a temporary directory is used and removed by :meth:`stop`. Every
    :meth:`start` builds a fresh cluster (new cluster id, empty data, new free ports); a
    node restarted with :meth:`start_node` keeps its data and ports.

    ``sasl`` (``True`` for an ``admin`` and a ``ledger`` user with random passwords) and
    ``tls`` add authenticated listeners to every node (``localkafka_security``); the
    ``PLAINTEXT`` listener and everything else stay as they are without them.
    """

    def __init__(
        self,
        nodes: int = 1,
        base_dir: Path | None = None,
        heap: str = "384m",
        *,
        sasl: Sasl | bool | None = None,
        tls: Tls | None = None,
    ) -> None:
        if nodes not in (1, 3):
            raise ValueError(f"nodes must be 1 or 3, not {nodes}")
        self.size = nodes
        self.heap = heap
        self.sasl: Sasl | None = Sasl.generated() if sasl is True else (sasl or None)
        self.tls = tls
        self._owns_dir = base_dir is None
        self.base_dir = (
            Path(tempfile.mkdtemp(prefix="ledger-kafka-")) if base_dir is None else Path(base_dir)
        ).resolve()
        self.nodes: list[KafkaNode] = []
        self.cluster_id: str | None = None
        self.jars: Path | None = None
        self._atexit_registered = False

    # ---- public surface -------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """Comma-separated host:port of every broker's PLAINTEXT listener."""
        self._require_nodes()
        return ",".join(n.bootstrap for n in self.nodes)

    @property
    def proxy_bootstrap(self) -> str:
        """Comma-separated host:proxy_port of every node (reachable only while proxies run)."""
        self._require_nodes()
        return ",".join(n.proxy_bootstrap for n in self.nodes)

    def bootstrap_for(self, protocol: str) -> str:
        """Comma-separated host:port of every broker's listener of ``protocol`` (``SASL_PLAINTEXT``,
        ``SSL``, ``SASL_SSL``: those the cluster was started with; ``PLAINTEXT``: :attr:`bootstrap`)."""
        self._require_nodes()
        if protocol == "PLAINTEXT":
            return self.bootstrap
        if any(protocol not in n.extra_ports for n in self.nodes):
            raise LocalKafkaError(f"the cluster has no {protocol} listener")
        return ",".join(f"{HOST}:{n.extra_ports[protocol]}" for n in self.nodes)

    @property
    def pids(self) -> list[int]:
        """Pids of the nodes' JVMs that are running now."""
        return [n.pid for n in self.nodes if n.pid is not None and n.running]

    @property
    def state_file(self) -> Path:
        return self.base_dir / STATE_FILE

    def start(self, timeout: float = 120.0) -> Self:
        """Fetch the jars if needed, format fresh storage, start every node, wait until usable."""
        if any(n.running for n in self.nodes):
            raise LocalKafkaError(f"the cluster in {self.base_dir} is already running")
        previous = _load_state(self.state_file)
        if previous is not None:
            alive = [KafkaNode.from_json(raw) for raw in previous.get("nodes", [])]
            if any(n.running for n in alive):
                raise LocalKafkaError(
                    f"a cluster recorded in {self.state_file} is still running; stop it first"
                )
        self.jars = ensure_jars()
        attempts = 3
        for attempt in range(1, attempts + 1):
            try:
                self._start_fresh(timeout)
            except LocalKafkaError:
                # Free ports are released before the JVMs bind them; another process may take
                # one in between. Then try again with new ports.
                if attempt == attempts or not self._port_clash():
                    raise
            else:
                return self
        raise AssertionError("unreachable")

    def _start_fresh(self, timeout: float) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for old in self.base_dir.glob("node-*"):
            shutil.rmtree(old)
        self.state_file.unlink(missing_ok=True)

        extra = protocols(self.sasl, self.tls)
        per_node = 4 + len(extra)
        ports = _free_ports(per_node * self.size)
        self.nodes = [
            KafkaNode(
                index=i,
                dir=self.base_dir / f"node-{i}",
                port=ports[per_node * i],
                controller_port=ports[per_node * i + 1],
                proxied_port=ports[per_node * i + 2],
                proxy_port=ports[per_node * i + 3],
                extra_ports={name: ports[per_node * i + 4 + k] for k, name in enumerate(extra)},
            )
            for i in range(self.size)
        ]
        tools_log4j = self.base_dir / "tools-log4j.properties"
        tools_log4j.write_text(_TOOLS_LOG4J)
        for node in self.nodes:
            (node.dir / "logs").mkdir(parents=True)
            (node.dir / "data").mkdir()
            node.properties.write_text(self._server_properties(node))
            (node.dir / "log4j.properties").write_text(_LOG4J.format(log=node.server_log))

        self.cluster_id = self._tool(["random-uuid"], timeout=60).strip().splitlines()[-1].strip()
        formatting = [
            (
                node,
                self._spawn_tool(
                    ["format", "-t", self.cluster_id, "-c", str(node.properties), "--ignore-formatted"]
                    + (self.sasl.format_args() if self.sasl is not None else [])
                ),
            )
            for node in self.nodes
        ]
        try:
            for node, proc in formatting:
                out, _ = proc.communicate(timeout=60)
                if proc.returncode != 0:
                    raise LocalKafkaError(
                        f"formatting the storage of node {node.index} failed (exit {proc.returncode}):\n"
                        f"{_tail(out.decode('utf-8', 'replace'))}"
                    )
        finally:
            for _, proc in formatting:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()

        self._register_atexit()
        try:
            for node in self.nodes:
                self._spawn(node)
            self._write_state()
            deadline = time.monotonic() + timeout
            for node in self.nodes:
                self._wait_ready(node, deadline)
        except BaseException:
            self.stop(graceful=False, keep_dir=True)
            raise

    def _port_clash(self) -> bool:
        for node in self.nodes:
            for log in (node.server_log, node.console_log):
                tail = _file_tail(log, 200)
                if "BindException" in tail or "Address already in use" in tail:
                    return True
        return False

    def stop_node(self, i: int, timeout: float = 30.0) -> None:
        """Stop node ``i`` gracefully (SIGTERM), wait for it; SIGKILL if it outlives ``timeout``.

        A node whose controller quorum is gone (the last one up of three) cannot finish a
        controlled shutdown and only leaves at the SIGKILL.
        """
        self._signal_and_wait([self._node(i)], signal.SIGTERM, timeout)
        self._write_state()

    def kill_node(self, i: int, timeout: float = 30.0) -> None:
        """Kill node ``i`` (SIGKILL) as a crash would, and wait until it is gone."""
        self._signal_and_wait([self._node(i)], signal.SIGKILL, timeout)
        self._write_state()

    def start_node(self, i: int, timeout: float = 120.0) -> None:
        """Start stopped or killed node ``i`` again with its data and ports; wait until usable."""
        node = self._node(i)
        if node.running:
            raise LocalKafkaError(f"node {i} is already running (pid {node.pid})")
        if self.jars is None:
            self.jars = ensure_jars()
        self._register_atexit()
        self._spawn(node)
        self._write_state()
        self._wait_ready(node, time.monotonic() + timeout)

    def stop(self, timeout: float = 30.0, *, graceful: bool = True, keep_dir: bool = False) -> None:
        """Stop every node and wait until all are gone.

        Graceful: one node after another gets SIGTERM and a controlled shutdown (SIGKILL if it
        outlives ``timeout``), while the others still form a controller quorum to approve it.
        The last node of a 3-node cluster has no quorum left to approve its controlled shutdown
        (it would wait minutes), so it gets SIGKILL; nothing is lost by that, as every
        :meth:`start` formats a fresh cluster. ``graceful=False`` kills every node at once.
        Removes ``base_dir`` if it was a temporary directory made by this object.
        """
        if graceful:
            running = [n for n in self.nodes if n.running]
            for node in running[:-1]:
                self._signal_and_wait([node], signal.SIGTERM, timeout)
            if running:
                last_sig = signal.SIGTERM if self.size == 1 else signal.SIGKILL
                self._signal_and_wait(running[-1:], last_sig, timeout)
        else:
            self._signal_and_wait(self.nodes, signal.SIGKILL, timeout)
        if self.nodes:
            self._write_state()
        if self._atexit_registered:
            atexit.unregister(self._kill_all)
            self._atexit_registered = False
        if self._owns_dir and not keep_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def detach(self) -> None:
        """Leave the nodes running after this process exits (the command line's ``start``)."""
        if self._atexit_registered:
            atexit.unregister(self._kill_all)
            self._atexit_registered = False
        self._owns_dir = False
        for node in self.nodes:
            node.process = None

    @classmethod
    def attach(cls, base_dir: Path) -> LocalKafka:
        """A handle on the cluster that the state file in ``base_dir`` records (maybe stopped)."""
        base_dir = Path(base_dir).resolve()
        state = _load_state(base_dir / STATE_FILE)
        if state is None:
            raise LocalKafkaError(f"no Kafka state file in {base_dir}")
        kafka = cls(nodes=int(state["size"]), base_dir=base_dir, heap=str(state.get("heap", "384m")))
        kafka.nodes = [KafkaNode.from_json(raw) for raw in state["nodes"]]
        kafka.cluster_id = state.get("cluster_id")
        kafka.jars = Path(state["jars"]) if state.get("jars") else None
        kafka.sasl = Sasl.from_json(state["sasl"]) if state.get("sasl") else None
        kafka.tls = Tls.from_json(state["tls"]) if state.get("tls") else None
        return kafka

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        running = sum(n.running for n in self.nodes)
        return f"LocalKafka(nodes={self.size}, running={running}, base_dir={str(self.base_dir)!r})"

    # ---- internals ------------------------------------------------------------------------

    def _require_nodes(self) -> None:
        if not self.nodes:
            raise LocalKafkaError("the cluster has not been started")

    def _node(self, i: int) -> KafkaNode:
        self._require_nodes()
        if not 0 <= i < len(self.nodes):
            raise IndexError(f"no node {i} in a cluster of {len(self.nodes)}")
        return self.nodes[i]

    def _server_properties(self, node: KafkaNode) -> str:
        three = self.size >= 3
        voters = ",".join(f"{n.index}@{HOST}:{n.controller_port}" for n in self.nodes)
        settings: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": node.index,
            "controller.quorum.voters": voters,
            "listeners": (
                f"PLAINTEXT://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port},"
                f"PROXIED://{HOST}:{node.proxied_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{HOST}:{node.port},PROXIED://{HOST}:{node.proxy_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "log.dirs": node.dir / "data",
            # Topics: explicit creation only, one partition unless asked.
            "auto.create.topics.enable": "false",
            "num.partitions": 1,
            "default.replication.factor": 3 if three else 1,
            "min.insync.replicas": 2 if three else 1,
            # Internal topics: few partitions, replication that fits the cluster.
            "offsets.topic.replication.factor": 3 if three else 1,
            "offsets.topic.num.partitions": 3 if three else 1,
            "transaction.state.log.replication.factor": 3 if three else 1,
            "transaction.state.log.min.isr": 2 if three else 1,
            "transaction.state.log.num.partitions": 3 if three else 1,
            "group.initial.rebalance.delay.ms": 0,
            # A killed node is fenced (and its partitions move) within seconds, not 9 s.
            "broker.heartbeat.interval.ms": 500,
            "broker.session.timeout.ms": 4000,
            # Small footprint: fewer threads, a small log-cleaner buffer (default 128 MiB of heap).
            "num.network.threads": 2,
            "num.io.threads": 4,
            "background.threads": 4,
            "num.recovery.threads.per.data.dir": 1,
            "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
            "log.cleaner.io.buffer.size": 512 * 1024,
        }
        settings = merged(settings, node_settings(self.sasl, self.tls, node.extra_ports, HOST))
        lines = ["# Written by deploy/kafka/localkafka.py; rewritten on every cluster start."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def _classpath(self) -> str:
        if self.jars is None:
            self.jars = ensure_jars()
        return str(self.jars / "*")

    def _tool_cmd(self, args: Sequence[str]) -> list[str]:
        return [
            _java(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            f"-Dlog4j.configuration=file:{self.base_dir / 'tools-log4j.properties'}",
            "-cp",
            self._classpath(),
            _STORAGE_TOOL,
            *args,
        ]

    def _spawn_tool(self, args: Sequence[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._tool_cmd(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _tool(self, args: Sequence[str], timeout: float) -> str:
        done = subprocess.run(
            self._tool_cmd(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            start_new_session=True,
        )
        if done.returncode != 0:
            raise LocalKafkaError(
                f"StorageTool {' '.join(args)} failed (exit {done.returncode}):\n"
                f"{_tail((done.stdout + done.stderr).decode('utf-8', 'replace'))}"
            )
        return done.stdout.decode("utf-8", "replace")

    def _broker_cmd(self, node: KafkaNode) -> list[str]:
        return [
            _java(),
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{node.dir / 'log4j.properties'}",
            f"-Dkafka.logs.dir={node.dir / 'logs'}",
            *os.environ.get("LEDGER_KAFKA_JVM_OPTS", "").split(),
            "-cp",
            self._classpath(),
            _BROKER_MAIN,
            str(node.properties),
        ]

    def _spawn(self, node: KafkaNode) -> None:
        cmd = self._broker_cmd(node)
        # The JVM writes to its own log files, never to this process's stdout/stderr (a pytest
        # capture pipe would keep the test run waiting for the broker), and lives in its own
        # session so a Ctrl-C in the terminal reaches only this process.
        with node.console_log.open("ab") as console:
            node.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=node.dir,
                start_new_session=True,
                close_fds=True,
            )
        node.pid = node.process.pid

    def _wait_ready(self, node: KafkaNode, deadline: float) -> None:
        """Until the node's PLAINTEXT listener lists every running node as a live broker and
        its PROXIED listener answers too."""
        last_error = "no answer yet"
        while True:
            if not node.running:
                code = node.process.returncode if node.process is not None else None
                raise LocalKafkaError(
                    f"Kafka node {node.index} exited (code {code}) while starting\n{node.log_tail()}"
                )
            expected = {n.index for n in self.nodes if n.running}
            try:
                brokers = metadata_brokers(node.port)
                missing = expected - brokers.keys()
                if missing:
                    last_error = f"brokers {sorted(missing)} not yet in the metadata of node {node.index}"
                else:
                    proxied = metadata_brokers(node.proxied_port)
                    if proxied.get(node.index) == (HOST, node.proxy_port):
                        return
                    last_error = f"PROXIED listener of node {node.index} advertises {proxied}"
            except OSError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise LocalKafkaError(
                    f"Kafka node {node.index} (port {node.port}) not usable in time: {last_error}\n"
                    f"{node.log_tail()}"
                )
            time.sleep(0.2)

    def _signal_and_wait(self, nodes: Sequence[KafkaNode], sig: signal.Signals, timeout: float) -> None:
        targets = [n for n in nodes if n.running]
        for node in targets:
            self._send(node, sig)
        deadline = time.monotonic() + timeout
        escalated = sig == signal.SIGKILL
        while True:
            left = [n for n in targets if not self._reap(n)]
            if not left:
                break
            if time.monotonic() > deadline:
                if escalated:
                    raise LocalKafkaError(
                        f"Kafka nodes {[n.index for n in left]} survived SIGKILL for {timeout:.0f}s"
                    )
                for node in left:
                    self._send(node, signal.SIGKILL)
                escalated = True
                deadline = time.monotonic() + 30.0
            time.sleep(0.05)
        for node in nodes:
            if not node.running:
                node.process = None
                node.pid = None

    @staticmethod
    def _send(node: KafkaNode, sig: signal.Signals) -> None:
        if node.process is not None:
            if node.process.poll() is None:
                node.process.send_signal(sig)
        elif node.pid is not None and node.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(node.pid, sig)

    @staticmethod
    def _reap(node: KafkaNode) -> bool:
        """Whether the node's process is gone (reaping it if it is this process's child)."""
        if node.process is not None:
            return node.process.poll() is not None
        return not node.running

    def _kill_all(self) -> None:
        """At interpreter exit: never leave brokers of an un-stopped, un-detached cluster behind."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.process.wait(10)

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self._kill_all)
            self._atexit_registered = True

    def _write_state(self) -> None:
        state = {
            "kafka_version": KAFKA_VERSION,
            "size": self.size,
            "heap": self.heap,
            "cluster_id": self.cluster_id,
            "jars": str(self.jars) if self.jars else None,
            "bootstrap": self.bootstrap,
            "proxy_bootstrap": self.proxy_bootstrap,
            "nodes": [n.to_json() for n in self.nodes],
            **({"sasl": self.sasl.to_json()} if self.sasl is not None else {}),
            **({"tls": self.tls.to_json()} if self.tls is not None else {}),
        }
        tmp = self.state_file.with_name(f"{STATE_FILE}.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self.state_file)


# --------------------------------------------------------------------------------------------
# command line


def _cmd_start(args: argparse.Namespace) -> int:
    base = Path(args.dir).resolve()
    try:
        existing: LocalKafka | None = LocalKafka.attach(base)
    except LocalKafkaError:
        existing = None
    if existing is not None and existing.pids:
        if (
            existing.size != args.nodes
            or len(existing.pids) != existing.size
            or (existing.sasl is not None) != args.sasl
        ):
            print(
                f"a cluster ({len(existing.pids)}/{existing.size} nodes running"
                f"{', SASL' if existing.sasl is not None else ''}) is recorded in {base}; stop it first",
                file=sys.stderr,
            )
            return 2
        print(f"already running in {base}", file=sys.stderr)
        print("\n".join(_settings_lines(existing)))
        return 0
    if not (default_jars_dir() / _MARKER).exists():
        print(
            f"fetching Kafka {KAFKA_VERSION} jars with Maven into {default_jars_dir()} ...", file=sys.stderr
        )
    kafka = LocalKafka(nodes=args.nodes, base_dir=base, heap=args.heap, sasl=args.sasl or None)
    started = time.monotonic()
    kafka.start(timeout=args.timeout)
    kafka.detach()
    print(
        f"started {args.nodes} Kafka node(s) in {time.monotonic() - started:.1f}s; "
        f"logs in {base}/node-*/logs; proxy bootstrap {kafka.proxy_bootstrap}",
        file=sys.stderr,
    )
    print("\n".join(_settings_lines(kafka)))
    return 0


def _settings_lines(kafka: LocalKafka) -> list[str]:
    """What the ledger needs to reach the cluster, as ``LEDGER_*=...`` lines, the bootstrap last:
    the ``PLAINTEXT`` listener's, or with SASL the SCRAM listener's and the ``ledger`` user's."""
    if kafka.sasl is None:
        return [f"LEDGER_KAFKA_BOOTSTRAP={kafka.bootstrap}"]
    user = kafka.sasl.user("ledger")
    print(f"PLAINTEXT listeners (unauthenticated): {kafka.bootstrap}", file=sys.stderr)
    return [
        "LEDGER_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
        "LEDGER_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
        f"LEDGER_KAFKA_SASL_USERNAME={user.name}",
        f"LEDGER_KAFKA_SASL_PASSWORD={user.password}",
        f"LEDGER_KAFKA_BOOTSTRAP={kafka.bootstrap_for('SASL_PLAINTEXT')}",
    ]


def _cmd_stop(args: argparse.Namespace) -> int:
    base = Path(args.dir).resolve()
    try:
        kafka = LocalKafka.attach(base)
    except LocalKafkaError:
        print(f"no Kafka cluster recorded in {base}", file=sys.stderr)
        return 0
    pids = kafka.pids
    kafka.stop(timeout=args.timeout)
    print(f"stopped {len(pids)} Kafka node(s) in {base}", file=sys.stderr)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    base = Path(args.dir).resolve()
    try:
        kafka = LocalKafka.attach(base)
    except LocalKafkaError:
        print(f"no Kafka cluster recorded in {base}")
        return 3
    up = 0
    for node in kafka.nodes:
        if node.running:
            try:
                brokers = metadata_brokers(node.port, timeout=1.0)
                health = f"answers, {len(brokers)} live broker(s)"
                up += 1
            except OSError as exc:
                health = f"not answering ({exc})"
            print(f"node {node.index}: pid {node.pid} port {node.port} proxy {node.proxy_port}: {health}")
        else:
            print(f"node {node.index}: stopped (port {node.port})")
    if up == 0:
        return 3
    print("\n".join(_settings_lines(kafka)))
    return 0 if up == kafka.size else 1


def _cmd_fetch(args: argparse.Namespace) -> int:
    print(f"Kafka {KAFKA_VERSION} jars in {ensure_jars(timeout=args.timeout)}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="localkafka",
        description=f"A local Apache Kafka {KAFKA_VERSION} cluster from Maven Central jars (no Docker).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("start", "start a detached cluster; last stdout line: LEDGER_KAFKA_BOOTSTRAP=host:port,..."),
        ("stop", "stop the cluster recorded in --dir"),
        ("status", "show the nodes recorded in --dir (exit 0 all up, 1 some, 3 none)"),
        ("fetch", "fetch the broker's jars from Maven Central into the cache (once)"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument(
            "--dir", default=str(DEFAULT_CLI_DIR), help="cluster directory (default: %(default)s)"
        )
        if name == "start":
            cmd.add_argument("--nodes", type=int, choices=(1, 3), default=1)
            cmd.add_argument("--heap", default="384m", help="broker max heap (default: %(default)s)")
            cmd.add_argument(
                "--sasl",
                action="store_true",
                help="also a SASL_PLAINTEXT listener with SCRAM-SHA-512 users admin and ledger (random "
                "passwords); print the ledger's LEDGER_KAFKA_* settings for it",
            )
        if name != "status":
            default = 900.0 if name == "fetch" else 120.0
            cmd.add_argument("--timeout", type=float, default=default, help="seconds (default: %(default)s)")
    args = parser.parse_args(argv)
    handlers = {"start": _cmd_start, "stop": _cmd_stop, "status": _cmd_status, "fetch": _cmd_fetch}
    try:
        return handlers[args.command](args)
    except LocalKafkaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
