"""What the media-server phases (t) transcoded calls and (p) prompts share:
one "level" = N concurrent calls against a fresh daemon, a measured window
while all N are up, what the RTP sinks received in it.

Per level: restart the daemon (so RSS per call is not hidden by a previous
level's high-water mark), start the sinks and the SIPp instances, ramp the
calls up, wait until all are up (bounded), then read the daemon's CPU and RSS
and the sinks' counters at both ends of the window. Calls end by themselves
(their scenarios hang up after the window); the runner waits for SIPp, bounded
by SIPp's own -timeout.
"""

import time
from dataclasses import dataclass, field

from . import procstat
from .sink_client import merge, window
from .sipp import LIVE, stat_int

# Every stream the box sends: one 20 ms packet at a time.
PACKETS_PER_S = 50


@dataclass
class Level:
    calls_target: int
    calls_up: int = 0
    window_s: float = 0.0
    daemon_cores: float = 0.0
    sipp_cores: float = 0.0
    sink_cores: float = 0.0
    host_cores: float = 0.0
    rss_before_kb: int = 0
    rss_loaded_kb: int = 0
    threads_loaded: int = 0
    busiest_thread: tuple = ("", 0.0)  # (name, cores) of the daemon's busiest thread
    relay_drops: int = 0  # kernel drops on the daemon's RTP sockets in the window
    rcvbuf_errors: int = 0  # whole host's UDP receive-buffer drops in the window
    received: object = None  # sink_client.Received
    successful: int = 0
    retransmissions: int = 0  # SIPp's: a box slow to answer (e.g. BYE under load)
    failed: int = 0
    errors: list = field(default_factory=list)
    problem: str = ""  # why the level's figures cannot be trusted, if so
    slow: str = ""  # a figure, not a failure: the box sent under 50 packets/s per call

    @property
    def core_pct_per_call(self):
        return self.daemon_cores / self.calls_up * 100 if self.calls_up else 0.0

    @property
    def kb_per_call(self):
        return (self.rss_loaded_kb - self.rss_before_kb) / self.calls_up if self.calls_up else 0.0


def split(total, size):
    """Sizes of ceil(total/size) near-equal parts of at most `size`."""
    parts = max(1, -(-total // size))
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def measure(ctx, level, callers, others, sinks, ramp_s):
    """Starts the callers, waits until every call is up (at most 3 s after
    the planned ramp), then reads the window. `others` are the SIPp and sink
    processes whose CPU is reported beside the daemon's."""
    plan = ctx.plan
    level.rss_before_kb = ctx.sample().rss_kb
    t0 = time.monotonic()
    for c in callers:
        c.start()

    def up():
        return sum(stat_int(c.stats(), "CurrentCall") for c in callers)

    _sleep_until(t0 + ramp_s + 1)
    late = time.monotonic() + 3
    while up() < level.calls_target and time.monotonic() < late:
        time.sleep(0.2)
    # A second for the first packets of the last calls to be under way.
    time.sleep(1)
    up_at_start = up()
    sipp_pids = [s.pid for s in callers + others if hasattr(s, "stats")]
    sink_pids = [s.pid for s in sinks]
    h1 = procstat.host_cpu()
    d1, u1 = procstat.udp_socket_drops(), procstat.udp_counters()
    t1 = procstat.thread_ticks(ctx.daemon.pid)
    s1 = ctx.sample()
    g1, k1 = procstat.group_ticks(sipp_pids), procstat.group_ticks(sink_pids)
    snaps1 = [s.snapshot() for s in sinks]
    _sleep_until(s1.at + plan.media_window_s)
    s2 = ctx.sample()
    t2 = procstat.thread_ticks(ctx.daemon.pid)
    d2, u2 = procstat.udp_socket_drops(), procstat.udp_counters()
    g2, k2 = procstat.group_ticks(sipp_pids), procstat.group_ticks(sink_pids)
    snaps2 = [s.snapshot() for s in sinks]
    h2 = procstat.host_cpu()
    level.calls_up = min(up_at_start, up())
    wall = s2.at - s1.at
    level.window_s = wall
    level.daemon_cores = procstat.cores_used(s1, s2)
    level.sipp_cores = (g2 - g1) / procstat.CLK_TCK / wall if wall > 0 else 0.0
    level.sink_cores = (k2 - k1) / procstat.CLK_TCK / wall if wall > 0 else 0.0
    level.host_cores = procstat.host_busy_cores(h1, h2)
    level.rss_loaded_kb = s2.rss_kb
    level.threads_loaded = s2.threads
    level.busiest_thread = procstat.busiest_thread(t1, t2, wall)
    lo, hi = ctx.ports.rtp_lo, ctx.ports.rtp_hi
    # Per-socket counters only grow; a socket opened in the window counts from 0.
    level.relay_drops = sum(
        n - d1.get(port, 0) for port, n in d2.items() if lo <= port <= hi and n > d1.get(port, 0)
    )
    level.rcvbuf_errors = u2.get("RcvbufErrors", 0) - u1.get("RcvbufErrors", 0)
    level.received = merge([window(a, b) for a, b in zip(snaps1, snaps2)])
    if level.calls_up < level.calls_target:
        level.problem = f"only {level.calls_up} of {level.calls_target} calls were up"
    elif level.received.sources and level.received.rate_per_source < 0.97 * PACKETS_PER_S:
        level.slow = (
            f"{level.received.rate_per_source:.1f} packets/s per call instead of"
            f" {PACKETS_PER_S}: the box did not keep up"
        )


def finish(level, callers, rest):
    """Waits for the callers to hang up (bounded by their -timeout), adds up
    their outcome, and stops every other process of the level."""
    try:
        for c in callers:
            c.wait()
            stats = c.stats()
            level.successful += stat_int(stats, "SuccessfulCall(C)")
            level.failed += stat_int(stats, "FailedCall(C)")
            level.retransmissions += stat_int(stats, "Retransmissions(C)")
            level.errors += c.errors_tail(1)
    finally:
        for p in callers + rest:
            if p in LIVE:
                p.stop()


def _sleep_until(deadline):
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)
