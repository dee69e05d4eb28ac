"""One SIPp process of the bench: how it is started, watched and read.

SIPp runs in the foreground (so it stays our child and its exit code is ours
to read) with stdin off and the screen refresh pushed out to an hour, because
repainting a screen nobody looks at costs CPU on the very cores we measure.
What we read back:
  - the statistics CSV (-trace_stat, one row a second, ';'-separated);
  - screen dumps (-trace_screen; SIGUSR2 dumps them while it runs): the only
    place SIPp 3.6 prints its RTP counters, and only while streams exist;
  - the <log> lines of the scenarios (-trace_logs), which say when every call
    reached a point (registered, stopped streaming).
"""

import os
import re
import signal
import subprocess
import time

SIPP = "sipp"

# Every SIPp started and not yet reaped, so the runner can end them all (and
# only them) if the bench is interrupted.
LIVE = set()

# The leading spaces anchor the number at the start of its line, so a line
# cut by a partial buffer flush never matches with half a number.
ECHO_RE = re.compile(r"\n\s+(\d+) Total echo RTP pckts 1st stream")
STREAM_RE = re.compile(r"\n\s+(\d+) Total RTP pckts sent\s+[\d.]+ kB/s RTP OUT")


class Sipp:
    def __init__(
        self,
        name,
        workdir,
        scenario,
        target,
        local_port,
        *,
        inf=None,
        calls=None,
        rate=None,
        limit=None,
        timeout_s=60,
        media_port=None,
        rtp_echo=False,
        ooc=None,
        trace_err=True,
        rtp_buffsize=None,
        extra=(),
    ):
        self.name = name
        self.workdir = workdir
        self.timeout_s = timeout_s
        base = os.path.join(workdir, name)
        self.stat_file = base + "_stat.csv"
        self.screen_file = base + "_screens.log"
        self.error_file = base + "_errors.log"
        self.log_file = base + "_logs.log"
        self.stderr_file = base + "_stderr.log"
        args = [
            SIPP,
            target,
            "-sf",
            scenario,
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
            "-p",
            str(local_port),
            "-t",
            "u1",
            "-nostdin",
            "-f",
            "3600",
            "-trace_stat",
            "-stf",
            self.stat_file,
            "-fd",
            "1",
            "-trace_screen",
            "-screen_file",
            self.screen_file,
            "-trace_logs",
            "-log_file",
            self.log_file,
            # Big SIP socket buffers: a burst of 401s must not be dropped by
            # the load generator's own kernel queue and counted as the box's.
            "-buff_size",
            str(4 * 1024 * 1024),
            "-timeout",
            f"{int(timeout_s)}s",
        ]
        if trace_err:
            # Not on callee instances: SIPp writes an "out-of-call INVITE"
            # event there for every call, a file write per call set-up.
            args += ["-trace_err", "-error_file", self.error_file]
        if inf:
            args += ["-inf", inf]
        if calls is not None:
            args += ["-m", str(calls)]
        if rate is not None:
            args += ["-r", str(rate)]
        if limit is not None:
            args += ["-l", str(limit)]
        if media_port is not None:
            args += ["-mp", str(media_port)]
        if rtp_echo:
            args += ["-rtp_echo"]
        if rtp_buffsize:
            args += ["-rtp_buffsize", str(rtp_buffsize)]
        if ooc:
            args += ["-oocsf", ooc]
        args += list(extra)
        self.args = args
        self.proc = None
        self.started = None
        self.ended = None

    def start(self):
        with open(self.stderr_file, "w") as err:
            self.proc = subprocess.Popen(
                self.args,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.started = time.monotonic()
        LIVE.add(self)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, grace_s=10):
        """Wait for SIPp to end by itself; it has its own -timeout, and we
        give it grace_s more before ending it ourselves."""
        deadline = (self.started or time.monotonic()) + self.timeout_s + grace_s
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.running():
            self.stop()
        if self.ended is None:
            self.ended = time.monotonic()
        LIVE.discard(self)
        return self.proc.returncode

    def stop(self):
        """End this SIPp (ours: we hold its Popen), politely first."""
        LIVE.discard(self)
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.ended = time.monotonic()

    def command_line(self):
        return " ".join(self.args)

    # ---- reading back -------------------------------------------------

    def dump_screens(self, pattern, wait_s=5.0):
        """SIGUSR2 makes SIPp write its screens to the screen file, but through
        a stdio buffer that only reaches the file 4 KiB at a time (or at exit).
        So keep asking for dumps (~3 KB each) until a complete line matching
        `pattern` shows up after what the file held before; returns the new
        text ('' if SIPp is gone or never printed it). Counters read this way
        must be frozen by then, which the phases arrange."""
        if not self.running():
            return ""
        before = _stamp(self.screen_file)
        offset = before[0] if before else 0
        deadline = time.monotonic() + wait_s
        text = ""
        while time.monotonic() < deadline and self.running():
            self.proc.send_signal(signal.SIGUSR2)
            time.sleep(0.15)
            try:
                with open(self.screen_file, errors="replace") as f:
                    f.seek(offset)
                    text = f.read()
            except FileNotFoundError:
                continue
            if pattern.search(text):
                break
        return text

    def log_count(self, prefix):
        """How many scenario <log> lines start with prefix (the log file has
        a timestamp column before the message on some builds: search it)."""
        try:
            with open(self.log_file, errors="replace") as f:
                return sum(1 for line in f if prefix in line)
        except FileNotFoundError:
            return 0

    def wait_log_count(self, prefix, want, timeout_s):
        deadline = time.monotonic() + timeout_s
        got = self.log_count(prefix)
        while got < want and time.monotonic() < deadline and self.running():
            time.sleep(0.1)
            got = self.log_count(prefix)
        return got

    def stats(self):
        """Last row of the statistics CSV as {column: value} ({} if none)."""
        try:
            with open(self.stat_file, errors="replace") as f:
                rows = [row.rstrip("\n") for row in f if row.strip()]
        except FileNotFoundError:
            return {}
        if len(rows) < 2:
            return {}
        head = rows[0].split(";")
        last = rows[-1].split(";")
        return dict(zip(head, last))

    def errors_tail(self, n=3):
        try:
            with open(self.error_file, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        # SIPp 3.6 writes its events without newlines between them.
        events = re.split(r"(?=\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\.\d+\t)", text)
        return [e.strip() for e in events if e.strip()][-n:]


def _stamp(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def stat_int(stats, column):
    try:
        return int(stats.get(column, "0") or 0)
    except ValueError:
        return 0


def stat_seconds(stats, column):
    """SIPp durations look like HH:MM:SS:mmmmmm (some builds: HH:MM:SS)."""
    value = stats.get(column, "")
    parts = value.split(":")
    try:
        if len(parts) == 4:
            h, m, s, us = (int(p) for p in parts)
            return h * 3600 + m * 60 + s + us / 1e6
        if len(parts) == 3:
            h, m, s = parts
            return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        pass
    return 0.0


def stat_epoch(stats, column):
    """SIPp dates look like 'YYYY-MM-DD<TAB>HH:MM:SS.us<TAB>epoch.us': the
    epoch, with microseconds, or None."""
    try:
        return float(stats.get(column, "").split("\t")[-1])
    except ValueError:
        return None


def run_seconds(stats):
    """How long SIPp ran, from its own clock (start to last row, which it
    writes on exit): better than ElapsedTime(C), which is whole seconds."""
    start, now = stat_epoch(stats, "StartTime"), stat_epoch(stats, "CurrentTime")
    if start is None or now is None:
        return stat_seconds(stats, "ElapsedTime(C)")
    return max(now - start, 0.0)


def echo_packets(sipp):
    """-rtp_echo's 'Total echo RTP pckts 1st stream' of a running SIPp, or None."""
    found = ECHO_RE.findall(sipp.dump_screens(ECHO_RE))
    return int(found[-1]) if found else None


def stream_packets(sipp):
    """rtp_stream's 'Total RTP pckts sent' of a running SIPp, or None. SIPp
    prints it only while some call of the instance still exists."""
    found = STREAM_RE.findall(sipp.dump_screens(STREAM_RE))
    return int(found[-1]) if found else None
