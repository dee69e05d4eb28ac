"""The daemon under test: build it, give it a bench tenant, run it, stop it.

Contract relied on (see bench/README.md): `centralita import --data DIR FILE`,
`centralita run --data DIR --sip A:P --http A:P --rtp-ports LO-HI`, a line
`centralita ready sip=<addr>` on stdout once the SIP sockets listen, clean
exit 0 on SIGTERM.
"""

import json
import os
import signal
import subprocess
import threading
import time


class DaemonError(Exception):
    """The daemon could not be built, fed or started: the bench cannot go on."""


def build(repo, log_path, timeout_s=1800):
    """`cargo build --release -p centralita` in the default target dir, as
    the brief asks: the bench measures the same binary a user would run."""
    env = dict(os.environ)
    env.pop("CARGO_TARGET_DIR", None)
    with open(log_path, "w") as log:
        try:
            rc = subprocess.run(
                ["cargo", "build", "--release", "-p", "centralita"],
                cwd=repo,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout_s,
            ).returncode
        except subprocess.TimeoutExpired as e:
            raise DaemonError(f"release build took over {timeout_s}s (log: {log_path})") from e
    binary = os.path.join(repo, "target", "release", "centralita")
    if rc != 0 or not os.path.exists(binary):
        raise DaemonError(f"release build failed, rc={rc} (log: {log_path}):\n" + _tail(log_path))
    return binary


def import_tenant(binary, data_dir, doc_path, log_path, timeout_s=300):
    with open(log_path, "w") as log:
        try:
            rc = subprocess.run(
                [binary, "import", "--data", data_dir, doc_path],
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
            ).returncode
        except subprocess.TimeoutExpired as e:
            raise DaemonError(f"import took over {timeout_s}s (log: {log_path})") from e
    if rc != 0:
        raise DaemonError(f"import of the bench tenant failed, rc={rc}:\n" + _tail(log_path))


class Daemon:
    def __init__(self, binary, data_dir, sip, http, rtp_ports, stderr_path, rust_log):
        self.args = [
            binary,
            "run",
            "--data",
            data_dir,
            "--sip",
            sip,
            "--http",
            http,
            "--rtp-ports",
            rtp_ports,
        ]
        self.stderr_path = stderr_path
        self.rust_log = rust_log
        self.proc = None
        self.stdout_lines = []
        self._ready = threading.Event()
        self.exit_code = None

    def start(self, timeout_s=30):
        env = dict(os.environ)
        env["RUST_LOG"] = self.rust_log
        # Held open for the daemon's whole life (closed in stop()).
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            bufsize=1,
        )
        # Keep draining stdout for the whole run: a full pipe would block the
        # daemon in a write and look like a performance problem.
        threading.Thread(target=self._read_stdout, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not self._ready.is_set():
            if self.proc.poll() is not None:
                raise DaemonError(
                    f"daemon exited with {self.proc.returncode} before ready:\n"
                    + _tail(self.stderr_path)
                )
            if time.monotonic() > deadline:
                self.stop()
                raise DaemonError(
                    f"no 'centralita ready' line within {timeout_s}s:\n" + _tail(self.stderr_path)
                )
            self._ready.wait(0.1)
        return self

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.stdout_lines.append(line.rstrip("\n"))
            if line.startswith("centralita ready"):
                self._ready.set()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s=10):
        """SIGTERM (the contract's clean shutdown), then SIGKILL if it hangs.
        Returns (exit code, seconds it took, whether we had to kill it)."""
        if self.proc is None:
            return None, 0.0, False
        if self.exit_code is not None:
            return self.exit_code, 0.0, False  # already stopped
        killed = False
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self.exit_code = self.proc.returncode
        self._stderr.close()
        return self.exit_code, time.monotonic() - start, killed


def _tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except FileNotFoundError:
        return "(no log)"


def count_cdrs(binary, data_dir, limit, timeout_s=120):
    """How many CDRs `centralita cdr` lists (at most limit), by disposition,
    or None if the command failed. Run after the daemons stopped: every
    bench call must have left exactly one row."""
    try:
        out = subprocess.run(
            [binary, "cdr", "--data", data_dir, "--limit", str(limit)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if out.returncode != 0:
        return None
    counts = {}
    for line in out.stdout.splitlines():
        try:
            disposition = json.loads(line).get("disposition", "?")
        except ValueError:
            disposition = "unparsable"
        counts[disposition] = counts.get(disposition, 0) + 1
    return counts
