"""benchsmith's speedrun timer: runs inside the sandbox, read-only; standard library only.

It imports the protocol's preload modules (the untimed warm-up), forks, and runs the record script as
`__main__` in the child. The parent is a child subreaper, so every process the script starts ends up as the
parent's child; when the script's process exits, whatever it left running is killed and reaped, and the CPU time
of all of them is read from the kernel (`RUSAGE_CHILDREN`). The measurement goes to stdout on one line tagged with
a secret the runner wrote to stdin. The parent reads the secret only after the fork, so it is never in the
child's memory; the child gets /dev/null as stdin and closes its copy of the pipe before the script runs, and the
parent is made non-dumpable so the child cannot reach the pipe or the parent's memory through /proc.
"""

import contextlib
import ctypes
import importlib
import json
import os
import resource
import runpy
import signal
import sys
import time
import traceback
from pathlib import Path

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _children(parent: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def _reap_everything() -> None:
    """Kill and reap every process the script left behind (they are all our children, being a subreaper)."""
    while True:
        for pid in _children(os.getpid()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.wait()
        except ChildProcessError:
            return


def _run_child(script: str, saved_stdin: int) -> None:
    os.close(saved_stdin)
    code: int = 0
    try:
        sys.argv = [script]
        sys.path.insert(0, str(Path(script).resolve().parent))
        runpy.run_path(script, run_name="__main__")
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
        if not isinstance(error.code, int | None):
            # As the interpreter does: `sys.exit("why")` prints why, else the failure would carry no reason.
            print(error.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    script = os.environ["SPEEDRUN_SCRIPT"]
    for module in filter(None, os.environ.get("SPEEDRUN_PRELOAD", "").split(",")):
        importlib.import_module(module)
    # The child gets /dev/null as stdin; the pipe stays open only in the parent, under another descriptor.
    saved_stdin = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _run_child(script, saved_stdin)
    with os.fdopen(saved_stdin, encoding="utf-8") as pipe:
        secret = pipe.readline().strip()
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - started
    _reap_everything()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {
        "exit_code": os.waitstatus_to_exitcode(status),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "max_rss_kb": usage.ru_maxrss,
    }
    sys.stdout.write("\n" + secret + " " + json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
