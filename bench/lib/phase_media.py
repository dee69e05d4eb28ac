"""Phase (c): concurrent G.711 calls with RTP relayed both ways by the box.

Two halves, so each direction of relay is counted exactly by an endpoint:
  forward: caller streams (rtp_stream, 50 pkt/s) -> box -> callee echoes and
           counts ("Total echo RTP pckts") -> box -> caller;
  reverse: callee streams -> box -> caller echoes and counts -> box -> callee.
Loss of a half = 1 - packets the echoing sides counted / packets the
streaming sides sent. Streams pause (and say so in their log) before any BYE,
the counters are read after every stream paused, so nothing is in flight and
no packet is lost to a call tear-down. The echoed return trips are relayed
too (every call carries 50 pkt/s each way) but only their forward leg is
counted. Each half is spread over groups of SIPp instances
(Plan.rtp_calls_per_sipp calls each) because one echo socket per instance
is the load generator's bottleneck.
CPU and RSS of the daemon are sampled at the start and end of a window in
which every call is up; per-call figures divide by the calls SIPp reports up.
Kernel drops are read per socket at the end, to say whose socket lost what.
"""

import math
import time
from dataclasses import dataclass, field

from . import procstat, tenant
from .phase_sip import launch_callees, wait_registered
from .scenarios import render
from .sipp import LIVE, Sipp, echo_packets, stat_int, stream_packets

# Receive buffer asked for the echo sockets (capped by net.core.rmem_max).
# Not given to the streaming instances: SIPp 3.6 never reads its rtp_stream
# sockets, so a big buffer there fills up with echoes and holds kernel memory.
ECHO_BUFFER = 4 * 1024 * 1024


@dataclass
class Half:
    name: str
    calls: int
    sent: int = 0  # packets the streaming side sent
    received: int = 0  # packets the echoing side counted
    unread: int = 0  # instances whose counter could not be read
    stopped: int = 0  # calls that reached the end of their stream
    successful: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)

    @property
    def loss(self):
        if not self.sent or self.unread:
            return None
        return max(self.sent - self.received, 0) / self.sent


@dataclass
class MediaResult:
    calls_target: int
    calls_up: int
    sipp_instances: int
    window_s: float
    daemon_cores: float
    sipp_cores: float
    host_cores: float
    rss_before_kb: int
    rss_loaded_kb: int
    fds_loaded: int
    threads_loaded: int
    halves: list
    udp: dict
    drops: dict  # per-socket kernel drops by who owns the sockets


@dataclass
class Group:
    """Four SIPp instances: a forward caller/callee pair, a reverse pair."""

    fwd_caller: Sipp = None
    fwd_callee: Sipp = None
    rev_caller: Sipp = None
    rev_callee: Sipp = None


def _split(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def phase_media(ctx):
    plan, pools, ports = ctx.plan, ctx.pools, ctx.ports
    n_fwd = plan.rtp_calls // 2
    n_rev = plan.rtp_calls - n_fwd
    groups_n = max(1, math.ceil(max(n_fwd, n_rev) / plan.rtp_calls_per_sipp))
    ramp_s = max(n_fwd, n_rev) / plan.rtp_rate
    # Every call streams long enough to cover the ramp, a settling margin and
    # the measured window; then all streams stop before the first BYE, and
    # stay stopped long enough for the counters to be read.
    stream_ms = int((ramp_s + 3 + plan.rtp_window_s + 2) * 1000)
    settle_ms = int((ramp_s + 8) * 1000)
    hold_s = (stream_ms + settle_ms) / 1000 + ramp_s + 30
    caller_timeout = int(ramp_s * 2 + (stream_ms + settle_ms) / 1000 + 30)
    per_instance = math.ceil(max(n_fwd, n_rev) / groups_n)
    # Media ports, handed out in order below the ephemeral range: an
    # rtp_stream instance takes 2 per call, an echo one only its -mp and -mp+2.
    media = MediaPorts(ports.sipp_media_base, stream_size=2 * per_instance + 20)
    rate = max(1, round(plan.rtp_rate / groups_n))

    echo_answer = render("callee_answer", ctx.workdir)
    stream_answer = render(
        "callee_stream", ctx.workdir, audio_file=ctx.audio_file, stream_ms=stream_ms
    )
    stream_call = render(
        "caller_stream",
        ctx.workdir,
        audio_file=ctx.audio_file,
        stream_ms=stream_ms,
        settle_ms=settle_ms,
    )
    echo_call = render("caller_echo", ctx.workdir, hold_ms=stream_ms + settle_ms)

    callee_next = pools.callee_first + plan.setup_callees
    caller_next = pools.caller_first
    groups = []
    try:
        for g, (nf, nr) in enumerate(zip(_split(n_fwd, groups_n), _split(n_rev, groups_n))):
            grp = Group()
            slot = 4 * g
            fwd_callees = list(range(callee_next, callee_next + nf))
            rev_callees = list(range(callee_next + nf, callee_next + nf + nr))
            fwd_callers = list(range(caller_next, caller_next + nf))
            rev_callers = list(range(caller_next + nf, caller_next + nf + nr))
            callee_next += nf + nr
            caller_next += nf + nr
            grp.fwd_callee = launch_callees(
                ctx,
                f"rtp{g}_fwd_callees",
                fwd_callees,
                echo_answer,
                ports.sipp_sip(slot + 1),
                media.take("echo"),
                hold_s,
                rtp_echo=True,
                rtp_buffsize=ECHO_BUFFER,
            )
            grp.rev_callee = launch_callees(
                ctx,
                f"rtp{g}_rev_callees",
                rev_callees,
                stream_answer,
                ports.sipp_sip(slot + 3),
                media.take("stream"),
                hold_s,
            )
            csv_f, csv_r = ctx.path(f"rtp{g}_fwd_calls.csv"), ctx.path(f"rtp{g}_rev_calls.csv")
            tenant.write_calls_csv(csv_f, zip(fwd_callers, fwd_callees))
            tenant.write_calls_csv(csv_r, zip(rev_callers, rev_callees))
            grp.fwd_caller = Sipp(
                f"rtp{g}_fwd_caller",
                ctx.workdir,
                stream_call,
                ctx.target,
                ports.sipp_sip(slot),
                inf=csv_f,
                calls=nf,
                rate=rate,
                limit=nf,
                timeout_s=caller_timeout,
                media_port=media.take("stream"),
            )
            grp.rev_caller = Sipp(
                f"rtp{g}_rev_caller",
                ctx.workdir,
                echo_call,
                ctx.target,
                ports.sipp_sip(slot + 2),
                inf=csv_r,
                calls=nr,
                rate=rate,
                limit=nr,
                timeout_s=caller_timeout,
                media_port=media.take("echo"),
                rtp_echo=True,
                rtp_buffsize=ECHO_BUFFER,
            )
            groups.append(grp)
        wait_registered([s for grp in groups for s in (grp.fwd_callee, grp.rev_callee)])
        return _drive(ctx, groups, n_fwd, n_rev, ramp_s, stream_ms, media)
    finally:
        for grp in groups:
            for sipp in (grp.fwd_caller, grp.rev_caller, grp.fwd_callee, grp.rev_callee):
                if sipp in LIVE:
                    sipp.stop()


def _drive(ctx, groups, n_fwd, n_rev, ramp_s, stream_ms, media):
    plan = ctx.plan
    every = [
        s
        for grp in groups
        for s in (grp.fwd_caller, grp.rev_caller, grp.fwd_callee, grp.rev_callee)
    ]
    rss_before = ctx.sample().rss_kb
    udp_before = procstat.udp_counters()
    t0 = time.monotonic()
    for grp in groups:
        grp.fwd_caller.start()
        grp.rev_caller.start()

    def up():
        return sum(
            stat_int(grp.fwd_caller.stats(), "CurrentCall")
            + stat_int(grp.rev_caller.stats(), "CurrentCall")
            for grp in groups
        )

    # The window opens once every call is up, or at the latest 2 s after the
    # planned ramp: the streams are only planned 2 s longer than the window.
    _sleep_until(t0 + ramp_s + 3)
    late = time.monotonic() + 2
    while up() < n_fwd + n_rev and time.monotonic() < late:
        time.sleep(0.2)
    up_at_start = up()
    h1 = procstat.host_cpu()
    s1 = ctx.sample()
    g1 = procstat.group_ticks(s.pid for s in every)
    _sleep_until(s1.at + plan.rtp_window_s)
    s2 = ctx.sample()
    g2 = procstat.group_ticks(s.pid for s in every)
    h2 = procstat.host_cpu()
    # Per-call figures divide by the fewest calls seen up in the window.
    calls_up = min(up_at_start, up())

    fwd = Half("forward (caller->box->callee)", n_fwd)
    rev = Half("reverse (callee->box->caller)", n_rev)
    stop_deadline = t0 + ramp_s * 2 + stream_ms / 1000 + 3
    while time.monotonic() < stop_deadline:
        fwd.stopped = sum(grp.fwd_caller.log_count("stopped") for grp in groups)
        rev.stopped = sum(grp.rev_callee.log_count("stopped") for grp in groups)
        if fwd.stopped >= n_fwd and rev.stopped >= n_rev:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # the last packets land
    for grp in groups:
        _count(fwd, stream_packets(grp.fwd_caller), echo_packets(grp.fwd_callee))
        _count(rev, stream_packets(grp.rev_callee), echo_packets(grp.rev_caller))
    drops = _drops_by_owner(ctx, media)

    for half, pick in ((fwd, lambda grp: grp.fwd_caller), (rev, lambda grp: grp.rev_caller)):
        for grp in groups:
            caller = pick(grp)
            caller.wait()
            stats = caller.stats()
            half.successful += stat_int(stats, "SuccessfulCall(C)")
            half.failed += stat_int(stats, "FailedCall(C)")
            half.errors += caller.errors_tail(1)
    window = s2.at - s1.at
    return MediaResult(
        calls_target=n_fwd + n_rev,
        calls_up=calls_up,
        sipp_instances=len(every),
        window_s=window,
        daemon_cores=procstat.cores_used(s1, s2),
        sipp_cores=(g2 - g1) / procstat.CLK_TCK / window if window > 0 else 0.0,
        host_cores=procstat.host_busy_cores(h1, h2),
        rss_before_kb=rss_before,
        rss_loaded_kb=s2.rss_kb,
        fds_loaded=s2.fds,
        threads_loaded=s2.threads,
        halves=[fwd, rev],
        udp=procstat.udp_delta(udp_before, procstat.udp_counters()),
        drops=drops,
    )


def _count(half, sent, received):
    if sent is None or received is None:
        half.unread += 1
        return
    half.sent += sent
    half.received += received


def _drops_by_owner(ctx, media):
    """Kernel drops of the sockets still open at the end of the streams,
    by owner: tells a relay that cannot keep up from a load generator that
    cannot."""
    d = procstat.udp_socket_drops()
    p = ctx.ports

    def owned(kind):
        return sum(procstat.drops_in(d, lo, hi) for k, lo, hi in media.ranges if k == kind)

    return {
        "daemon RTP relay sockets": procstat.drops_in(d, p.rtp_lo, p.rtp_hi),
        "daemon SIP socket": d.get(p.sip, 0),
        "SIPp echo sockets": owned("echo"),
        "SIPp rtp_stream sockets (never read by SIPp 3.6: the echoes end there)": owned("stream"),
    }


class MediaPorts:
    """Consecutive port blocks for the SIPp instances (and RTP sinks) of the
    media phases."""

    ECHO_SIZE = 4  # -mp (audio echo) and -mp+2 (the second echo stream)
    SINK_SIZE = 1  # one socket of bench/lib/rtp_sink.py

    def __init__(self, first, stream_size):
        self.next = first
        self.stream_size = stream_size
        self.ranges = []  # (kind, first port, last port)

    def take(self, kind):
        size = {"stream": self.stream_size, "sink": self.SINK_SIZE}.get(kind, self.ECHO_SIZE)
        first = self.next
        if first + size > 32768:
            raise ValueError(
                f"the media phases need SIPp media ports past {first + size}: into the"
                " kernel's ephemeral range; use fewer calls"
            )
        self.next += size
        self.ranges.append((kind, first, first + size - 1))
        return first


def _sleep_until(deadline):
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)
