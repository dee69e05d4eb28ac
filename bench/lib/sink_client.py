"""Runs bench/lib/rtp_sink.py as a child process and turns two of its
snapshots into what a window of a phase received."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from .sipp import LIVE

SINK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtp_sink.py")


class SinkError(Exception):
    """The sink could not start or did not answer a snapshot request."""


class Sink:
    def __init__(self, name, workdir, port, echo=False, opus_pt=111):
        self.name = name
        self.port = port
        self.prefix = os.path.join(workdir, f"{name}_snap")
        self.args = [sys.executable, SINK, "--port", str(port), "--snapshots", self.prefix]
        self.args += ["--opus-pt", str(opus_pt)] + (["--echo"] if echo else [])
        self.stderr_file = os.path.join(workdir, f"{name}_stderr.log")
        self.proc = None
        self.taken = 0

    def start(self):
        with open(self.stderr_file, "w") as err:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True
            )
        LIVE.add(self)  # so an interrupted run stops it with the SIPps
        # "ready" once bound; end of file (an empty line) if it died first.
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise SinkError(f"RTP sink on port {self.port} did not start (see {self.stderr_file})")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def snapshot(self, timeout_s=5.0):
        """Asks for the counters now; returns them as a dict."""
        if self.proc is None or self.proc.poll() is not None:
            raise SinkError(f"RTP sink on port {self.port} is not running")
        self.taken += 1
        path = f"{self.prefix}-{self.taken}.json"
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout_s
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise SinkError(f"RTP sink on port {self.port} wrote no snapshot {path}")
            time.sleep(0.02)
        with open(path) as f:
            return json.load(f)

    def stop(self):
        LIVE.discard(self)
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Received:
    """What the sink got during a window, summed over its sources (one per call leg)."""

    window_s: float = 0.0
    sources: int = 0  # call legs that sent anything in the window
    packets: int = 0
    payload_bytes: int = 0
    pts: dict = field(default_factory=dict)  # payload type -> packets
    empty: int = 0
    silent: int = 0  # G.711 payloads of digital silence only
    not_20ms: int = 0  # Opus packets whose TOC says other than 20 ms
    opus_configs: dict = field(default_factory=dict)  # Opus TOC config -> packets
    seq_gaps: int = 0  # packets missing by sequence number
    ts_odd: int = 0
    not_rtp: int = 0
    per_source_rates: list = field(default_factory=list)  # packets/s of each source, sorted

    @property
    def rate_per_source(self):
        return self.packets / self.window_s / self.sources if self.sources and self.window_s else 0

    def rate_quantile(self, q):
        r = self.per_source_rates
        return r[min(int(q * len(r)), len(r) - 1)] if r else 0.0


def window(before, after):
    """Difference of two snapshots of one sink."""
    got = Received(window_s=after["at"] - before["at"])
    got.not_rtp = after["not_rtp"] - before["not_rtp"]
    old = before["sources"]
    zero = {"packets": 0, "bytes": 0, "pts": {}, "empty": 0, "silent": 0}
    zero.update({"not_20ms": 0, "seq_gaps": 0, "ts_odd": 0})
    for addr, s in after["sources"].items():
        o = old.get(addr, zero)
        packets = s["packets"] - o["packets"]
        if packets <= 0:
            continue
        got.sources += 1
        got.packets += packets
        got.payload_bytes += s["bytes"] - o["bytes"]
        for pt, n in s["pts"].items():
            got.pts[pt] = got.pts.get(pt, 0) + n - o["pts"].get(pt, 0)
        for c, n in s.get("opus_configs", {}).items():
            was = o.get("opus_configs", {}).get(c, 0)
            got.opus_configs[c] = got.opus_configs.get(c, 0) + n - was
        for key in ("empty", "silent", "not_20ms", "seq_gaps", "ts_odd"):
            setattr(got, key, getattr(got, key) + s[key] - o[key])
        if got.window_s > 0:
            got.per_source_rates.append(packets / got.window_s)
    got.per_source_rates.sort()
    return got


def merge(parts):
    """Sums the windows of several sinks read over the same window."""
    total = Received(window_s=max((p.window_s for p in parts), default=0.0))
    for p in parts:
        total.sources += p.sources
        total.packets += p.packets
        total.payload_bytes += p.payload_bytes
        for pt, n in p.pts.items():
            total.pts[pt] = total.pts.get(pt, 0) + n
        for c, n in p.opus_configs.items():
            total.opus_configs[c] = total.opus_configs.get(c, 0) + n
        for key in ("empty", "silent", "not_20ms", "seq_gaps", "ts_odd", "not_rtp"):
            setattr(total, key, getattr(total, key) + getattr(p, key))
        total.per_source_rates += p.per_source_rates
    total.per_source_rates.sort()
    return total
