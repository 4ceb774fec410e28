"""A validator agent as it runs on a device, for end-to-end tests: ``faregate-agent run`` as
a process of its own, fed through a real reader driver, answering on its console gate.

The agent's gate is ``console:``: one line per tap on standard output, written only after
the tap's journal row is committed (``validator_agent.runtime``). A line there is what this
harness calls an *acknowledged* tap, the one a traveller sees. Taps reach the agent through
its keyboard-wedge reader (``wedge:stdin``: lines written to its standard input, a fresh pipe
per process) or a serial scanner on a pseudo-terminal (``ScannerPty``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fares.reasons import EXPLANATIONS, DenyReason

AGENT = Path(sys.executable).parent / "faregate-agent"
GATE_LINE = re.compile(r"^\[(OPEN|DENY|OUT_OF_SERVICE)\] (.*?)  \((.*)\)$")
WAIT_S = 60.0

# Wraps a command to run it where the agent runs (e.g. inside a mount namespace).
Wrapper = Callable[[list[str]], list[str]]


def _as_is(command: list[str]) -> list[str]:
    return command


@dataclass(frozen=True)
class GateAnswer:
    """One line of the console gate: verdict (open, deny, out_of_service) and display text."""

    verdict: str
    message: str


OPEN = GateAnswer("open", "ok")


def blocked(reason: DenyReason) -> GateAnswer:
    """The console gate's answer to a tap denied for ``reason``."""
    return GateAnswer("deny", EXPLANATIONS[reason][:32])


@dataclass(frozen=True)
class AgentSettings:
    """What goes into the agent's TOML file."""

    device_id: str
    server_urls: tuple[str, ...]
    keys_file: Path
    store_path: Path
    reader: str = "wedge:stdin"
    role: str = "gate_entry"
    stop_id: str = "STAGECOACH"
    on_failure: str = "fail_closed"
    sync_interval_s: int = 1
    vehicle_id: str | None = None  # a bus's; with its [bus] settings
    bus: tuple[tuple[str, int], ...] = ()

    def toml(self) -> str:
        """The agent configuration file."""
        urls = ", ".join(json.dumps(url) for url in self.server_urls)
        vehicle = "" if self.vehicle_id is None else f'vehicle_id = "{self.vehicle_id}"\n'
        bus = "".join(f"{name} = {value}\n" for name, value in self.bus)
        return (
            f'[device]\nid = "{self.device_id}"\nrole = "{self.role}"\n'
            f'stop_id = "{self.stop_id}"\n{vehicle}\n[bus]\n{bus}\n'
            f"[server]\nurls = [{urls}]\nsync_interval_s = {self.sync_interval_s}\n\n"
            f'[devices]\nreaders = ["{self.reader}"]\ngates = ["console:"]\n\n'
            f'[store]\npath = "{self.store_path}"\n\n'
            f'[trust]\nkeys_file = "{self.keys_file}"\n\n'
            f'[policy]\non_failure = "{self.on_failure}"\n'
        )


@dataclass
class AgentRun:
    """One process of the agent: what was written to its reader and what its gate answered."""

    process: subprocess.Popen[bytes]
    written: list[str] = field(default_factory=list)
    answers: list[GateAnswer] = field(default_factory=list)
    other_output: list[str] = field(default_factory=list)


class AgentProcess:
    """``faregate-agent`` for one device: provision, run, tap, status, kill -9, stop."""

    def __init__(self, folder: Path, settings: AgentSettings, wrap: Wrapper = _as_is) -> None:
        self.folder = folder
        self.settings = settings
        self.config = folder / "agent.toml"
        folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(settings.toml())
        self.runs: list[AgentRun] = []
        self._wrap = wrap
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    # -- commands beside the running agent ----------------------------------------------

    def tool(self, *args: str) -> dict[str, Any]:
        """Run ``faregate-agent ARGS --config FILE`` where the agent runs; its JSON output."""
        done = self._command(args)
        assert done.returncode == 0, f"{done.args}: {done.returncode} {done.stderr}"
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    def refusal(self, *args: str) -> str:
        """The error code of ``faregate-agent ARGS --config FILE``, which must refuse."""
        done = self._command(args)
        assert done.returncode == 2, f"{done.args}: {done.returncode} {done.stdout}"
        return str(json.loads(done.stderr)["error"]["code"])

    def _command(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        command = self._wrap([str(AGENT), *args, "--config", str(self.config)])
        return subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, timeout=60, check=False
        )

    def provision(self, url: str, token: str) -> dict[str, Any]:
        """``faregate-agent provision URL TOKEN``."""
        return self.tool("provision", url, token)

    def status(self) -> dict[str, Any]:
        """``faregate-agent status``."""
        return self.tool("status")

    def bundle_version(self, above: int = 0, timeout: float = WAIT_S) -> int:
        """The version of the bundle in the agent's store, once there is one above ``above``."""

        def version() -> int:
            bundle = self.status()["bundle"]
            return int(bundle["version"]) if bundle and bundle["version"] > above else 0

        return int(wait_until(version, timeout, f"a bundle above version {above}"))

    def drained(self, timeout: float = WAIT_S) -> dict[str, Any]:
        """The journal's status once every row is acknowledged by the server."""

        def empty() -> dict[str, Any] | None:
            journal: dict[str, Any] = self.status()["journal"]
            done = journal["ready"] == journal["in_flight"] == 0
            return journal if done and journal["ack_watermark"] == journal["last_seq"] else None

        return dict(wait_until(empty, timeout, "the journal to drain"))

    # -- the running agent ----------------------------------------------------------------

    @property
    def current(self) -> AgentRun:
        """The latest process."""
        return self.runs[-1]

    def start(self) -> AgentRun:
        """Start ``faregate-agent run`` with a fresh standard input and collect its gate."""
        assert not self.runs or self.current.process.poll() is not None, "already running"
        log = (self.folder / "agent.log").open("ab")
        with log:
            process = subprocess.Popen(
                self._wrap([str(AGENT), "run", "--config", str(self.config)]),
                cwd=self.folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
        run = AgentRun(process)
        self.runs.append(run)
        reader = threading.Thread(target=self._collect, args=(run,), daemon=True)
        reader.start()
        self._threads.append(reader)
        return run

    def _collect(self, run: AgentRun) -> None:
        stdout = run.process.stdout
        assert stdout is not None
        with stdout:
            for raw in stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                matched = GATE_LINE.match(line)
                with self._changed:
                    if matched:
                        verdict = matched[1].lower()
                        run.answers.append(GateAnswer(verdict, matched[2]))
                    else:
                        run.other_output.append(line)
                    self._changed.notify_all()

    def feed(self, lines: Iterable[str], per_second: float | None = None) -> threading.Thread:
        """Type ``lines`` into the wedge (standard input) from a thread: as fast as the agent
        reads them, or about ``per_second`` lines a second."""
        run = self.current
        batch = list(lines)
        run.written.extend(batch)
        stdin = run.process.stdin
        assert stdin is not None
        chunk = len(batch) if per_second is None else 10
        pause = 0.0 if per_second is None else chunk / per_second

        def write() -> None:
            try:
                for start in range(0, len(batch), chunk):
                    text = "".join(f"{line}\n" for line in batch[start : start + chunk])
                    stdin.write(text.encode())
                    stdin.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ValueError):
                pass  # the agent died (kill -9): the rest was never read

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        self._threads.append(writer)
        return writer

    def tap(self, text: str, timeout: float = WAIT_S) -> GateAnswer:
        """Present one code at the wedge and wait for the gate's answer to it."""
        before = len(self.current.answers)
        self.feed([text]).join(timeout)
        return self.wait_answers(before + 1, timeout)[before]

    def wait_answers(self, count: int, timeout: float = WAIT_S) -> list[GateAnswer]:
        """The current process's answers once there are ``count``; fail after ``timeout``."""
        run = self.current
        with self._changed:
            done = self._changed.wait_for(
                lambda: len(run.answers) >= count or run.process.poll() is not None, timeout
            )
            answers = list(run.answers)
        assert done, f"{len(answers)} of {count} gate answers within {timeout:.0f} s"
        assert len(answers) >= count, (
            f"{len(answers)} of {count} gate answers: the agent exited {run.process.poll()}; "
            f"see {self.folder / 'agent.log'}"
        )
        return answers

    def answered(self) -> int:
        """How many answers the current process gave so far."""
        with self._changed:
            return len(self.current.answers)

    def kill(self) -> AgentRun:
        """kill -9 the agent; wait until every answer it wrote has been read."""
        run = self.current
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGKILL)
        self._reap(run)
        return run

    def stop(self) -> int:
        """Stop the agent as its service manager would (SIGTERM); its exit status."""
        run = self.current
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGTERM)
        return self._reap(run)

    def _reap(self, run: AgentRun) -> int:
        status = run.process.wait(timeout=WAIT_S)
        if run.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                run.process.stdin.close()
        for thread in self._threads:
            thread.join(WAIT_S)
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        return status

    def close(self) -> None:
        """Stop whatever still runs."""
        if self.runs and self.current.process.poll() is None:
            self.kill()


def wait_until(
    check: Callable[[], Any], timeout: float = WAIT_S, what: str = "", every: float = 0.2
) -> Any:
    """Poll ``check`` until it returns something true; that value. Fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what or check}"
        time.sleep(every)


# What the ``make_agent`` fixture of tests/e2e is: device id and settings → a provisioned agent.
AgentFactory = Callable[..., AgentProcess]


class ScannerPty:
    """A QR scanner on a pseudo-terminal: the agent opens ``device`` with its serial driver;
    the test types codes into the other end, and blocks while the agent's input is full."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing before the agent configures it
        self.device = os.ttyname(self._slave)
        self._out: IO[bytes] = os.fdopen(self._master, "wb", buffering=0)

    def type_lines(self, lines: Sequence[str]) -> None:
        """Write ``lines``, each with a carriage return, as a scanner would."""
        data = "".join(f"{line}\r" for line in lines).encode()
        view = memoryview(data)
        while view:
            written = self._out.write(view)
            view = view[written or 0 :]

    def close(self) -> None:
        """Close both ends."""
        self._out.close()
        os.close(self._slave)
