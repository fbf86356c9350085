"""deploy/Containerfile, checked as far as it can be without a container engine.

hadolint lints it; BuildKit's own parser reads it, so the checks see what a build sees: every
path it copies exists and is in the build context its ignore file leaves, the final stage runs
as a numeric non-root user and installs nothing, its ``LEDGER_*`` defaults are settings the
ledger accepts, and its entry point and roles are the ledger's commands. The wheel it installs
is built here, installed apart from the project's own environment, and runs ``ledger --help``.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import dockerfile
import pytest

from ledger.http.console import STATIC

from .support import DEPLOY, ROLES, ROOT, is_command, setting_names

CONTAINERFILE = DEPLOY / "Containerfile"
IGNORE_FILE = DEPLOY / "Containerfile.dockerignore"
HADOLINT = Path(sys.executable).with_name("hadolint")


def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(CONTAINERFILE)))


def final_stage() -> list[dockerfile.Command]:
    commands = instructions()
    last = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    return commands[last:]


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_hadolint_finds_nothing_to_say_of_the_containerfile() -> None:
    linted = hadolint(CONTAINERFILE)
    assert (linted.returncode, linted.stdout) == (0, ""), linted.stdout + linted.stderr
    lines = CONTAINERFILE.read_text().splitlines()
    for number, line in enumerate(lines):  # an ignore must stay explained, on the line above it
        if "hadolint ignore" in line:
            assert lines[number - 1].startswith("#"), f"unexplained: {line}"


def test_hadolint_does_speak_up(tmp_path: Path) -> None:
    """The check above could pass by a linter that never runs: one that does flags these."""
    bad = tmp_path / "Containerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    linted = hadolint(bad)
    assert linted.returncode == 1
    assert "DL3007" in linted.stdout
    assert "DL3008" in linted.stdout


def ignored(path: str, patterns: list[str]) -> bool:
    """The .dockerignore reading of ``path``: the last pattern matching it or a parent decides."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.removeprefix("!").strip("/")
        if any(fnmatch.fnmatchcase(p, bare) for p in prefixes):
            verdict = not negated
    return verdict


def copied_sources() -> Iterator[str]:
    for command in instructions():
        if command.cmd == "COPY" and not any(f.startswith("--from") for f in command.flags):
            yield from command.value[:-1]


def test_every_path_the_image_copies_is_in_the_repository_and_in_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in IGNORE_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = list(copied_sources())
    assert {"src/", "deploy/container/entrypoint.py"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"
        assert not ignored(source, patterns), f"COPY {source}: left out of the build context"
    assert ignored(".venv/bin/python", patterns)
    assert ignored("src/ledger/__pycache__/x.pyc", patterns)


def test_the_final_stage_runs_as_a_numeric_non_root_user_and_installs_nothing() -> None:
    commands = instructions()
    stages = [c for c in commands if c.cmd == "FROM"]
    assert [s.value[-1] for s in stages] == ["build", "runtime"]
    base = next(c.value[0] for c in commands if c.cmd == "ARG")
    assert base.startswith("PYTHON_IMAGE=python:3.11-slim")
    final = final_stage()
    assert all(c.value[0] == "${PYTHON_IMAGE}" for c in stages)
    [user] = [c.value[0] for c in final if c.cmd == "USER"]
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert 0 not in (int(uid), int(gid))
    runs = " ".join(c.value[0] for c in final if c.cmd == "RUN")
    for tool in ("pip install", "apt-get", "gcc", "build-essential", "cc "):
        assert tool not in runs, f"the final stage runs {tool!r}"
    assert "pip uninstall" in runs  # the base image's installer goes too
    [copied] = [c for c in final if c.cmd == "COPY" and c.flags == ("--from=build",)]
    assert copied.value == ("/opt/ledger", "/opt/ledger")


def test_the_image_defaults_are_settings_the_ledger_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    final = final_stage()
    env: dict[str, str] = {}
    for command in final:
        if command.cmd == "ENV":
            env |= dict(zip(command.value[::2], command.value[1::2], strict=True))
    ledger_env = {k: v for k, v in env.items() if k.startswith("LEDGER_")}
    assert set(ledger_env) <= setting_names()
    for key, value in ledger_env.items():
        monkeypatch.setenv(key, value)
    from ledger.config import Settings

    settings = Settings()
    assert (settings.host, settings.port, settings.probe_listen) == ("0.0.0.0", 8080, "0.0.0.0:9090")
    [volume] = [c.value for c in final if c.cmd == "VOLUME"]
    assert str(settings.data_dir) in volume
    exposed = {int(p) for c in final if c.cmd == "EXPOSE" for p in c.value}
    assert {settings.port, 9090, 9000} <= exposed
    labels = dict(zip(*[iter(next(c.value for c in final if c.cmd == "LABEL"))] * 2, strict=True))
    assert {"org.opencontainers.image.title", "org.opencontainers.image.version"} <= set(labels)


def test_the_entry_point_runs_the_ledger_commands_and_every_role_is_one() -> None:
    final = final_stage()
    [entrypoint] = [c for c in final if c.cmd == "ENTRYPOINT"]
    [cmd] = [c for c in final if c.cmd == "CMD"]
    [healthcheck] = [c for c in final if c.cmd == "HEALTHCHECK"]
    assert [entrypoint.json, cmd.json, healthcheck.json] == [True] * 3  # exec form: the role gets signals
    assert entrypoint.value == ("python", "/opt/ledger/container/entrypoint.py")
    assert healthcheck.value == ("CMD", "python", "/opt/ledger/container/healthcheck.py")
    copied = {Path(s).name for s in copied_sources()}
    assert {"entrypoint.py", "healthcheck.py"} <= copied
    assert cmd.value == ("serve",)
    for role in ROLES:
        assert is_command(role), f"ledger {role} is no command"
    assert not is_command("no-such-role")
    # The commands the file's own usage lines name are the ledger's too.
    named = set(re.findall(r"docker run ledger ([a-z-]+)", CONTAINERFILE.read_text()))
    assert set(ROLES) <= named
    assert all(is_command(n) for n in named)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built as the image's build stage builds it (offline: no isolation)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    [built] = out.glob("ledger-*.whl")
    return built


def test_the_wheel_holds_every_package_and_the_ledger_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert "ledger = ledger.cli:main" in scripts
    tops = {n.split("/")[0] for n in names}
    assert {"ledger", "schemas", "handlers", "projections"} <= tops
    assert len(names) == len(set(names))  # no file twice (hatchling refuses to build such a wheel)
    assert any(n.startswith("schemas/json/events/") for n in names)  # the exported JSON Schemas
    # The console an API process serves: its page, its scripts and the vendored libraries.
    console = STATIC.relative_to(STATIC.parents[1])  # ledger/console
    files = {p.relative_to(STATIC.parents[1]).as_posix() for p in STATIC.rglob("*") if p.is_file()}
    assert f"{console.as_posix()}/vendor/chart.js/chart.umd.min.js" in files
    assert files <= set(names), sorted(files - set(names))


def test_the_installed_wheel_runs_ledger_help_apart_from_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=120,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    ran = subprocess.run(
        [str(target / "bin" / "ledger"), "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert all(role in ran.stdout for role in ROLES)
    where = subprocess.run(
        [sys.executable, "-c", "import ledger, schemas.export; print(ledger.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))  # the wheel's copy, not the source tree
