"""The forked snapshot child never echoes a signal into the parent's event loop.

The loop's signal handling writes each signal's number to a wake-up socket that a forked
child inherits: a Ctrl-C or a SIGTERM sent to the child (or to the whole process group,
which reaches both) used to reach the parent's loop through the child as well. Each case
runs in a process of its own, in a session of its own, so the signals reach nobody else.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

# A loop with handlers for SIGINT and SIGTERM, as aiohttp's run_app installs them; a snapshot
# child pickling a state that takes long to pickle; then the signal, to the child or the group.
SCRIPT = r"""
import asyncio, json, os, signal, sys, tempfile, time
from ledger.writer.snapshots import pickle_apart

class Slow:
    def __reduce__(self):
        time.sleep(5)
        return (int, ())

async def main(signum, target):
    loop = asyncio.get_running_loop()
    seen = []
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, seen.append, int(s))
    with tempfile.TemporaryFile() as out:
        child = pickle_apart([Slow()], out)
        await asyncio.sleep(0.5)  # the child is pickling now
        if target == "child":
            os.kill(child, signum)
        else:
            os.killpg(0, signum)
        _, status = await asyncio.to_thread(os.waitpid, child, 0)
    await asyncio.sleep(0.5)  # time for the loop to read its wake-up socket
    print(json.dumps({"child_exit": os.waitstatus_to_exitcode(status), "seen": seen}), flush=True)

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("target", "seen_by_parent"), [("child", 0), ("group", 1)], ids=["to-the-child", "to-the-group"]
)
def test_a_signal_to_the_snapshot_child_is_not_seen_by_the_parent(
    signum: signal.Signals, target: str, seen_by_parent: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(signum)), target],
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["seen"] == [int(signum)] * seen_by_parent
    assert outcome["child_exit"] == -signum, "the child dies of the signal, losing only its snapshot"
