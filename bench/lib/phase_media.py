"""Phase (c): concurrent G.711 calls with RTP relayed both ways by the box.

Two halves, so each direction of relay is counted exactly by an endpoint:
  forward: caller streams (rtp_stream, 50 pkt/s) -> box -> callee echoes and
           counts ("Total echo RTP pckts") -> box -> caller;
  reverse: callee streams -> box -> caller echoes and counts -> box -> callee.
Loss of a half = 1 - packets the echoing side counted / packets the
streaming side sent. Streams pause (and say so in their log) before any BYE,
the counters are read after every stream paused, so nothing is in flight and
no packet is lost to a call tear-down. The echoed return trips are relayed
too (every call carries 50 pkt/s each way) but only their forward leg is
counted.
CPU and RSS of the daemon are sampled at the start and end of a window in
which every call is up; per-call figures divide by the calls SIPp reports up.
"""

import time
from dataclasses import dataclass, field

from . import procstat, tenant
from .phase_sip import start_callees
from .scenarios import render
from .sipp import Sipp, echo_packets, stat_int, stream_packets


@dataclass
class Half:
    name: str
    calls: int
    sent: object = None  # packets the streaming side sent (None: unread)
    received: object = None  # packets the echoing side counted
    stopped: int = 0  # calls that reached the end of their stream
    successful: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)

    @property
    def loss(self):
        if not self.sent or self.received is None:
            return None
        return max(self.sent - self.received, 0) / self.sent


@dataclass
class MediaResult:
    calls_target: int
    calls_up: int
    window_s: float
    daemon_cores: float
    sipp_cores: float
    rss_before_kb: int
    rss_loaded_kb: int
    fds_loaded: int
    threads_loaded: int
    halves: list
    udp: dict


def _current_calls(sipp):
    return stat_int(sipp.stats(), "CurrentCall")


def phase_media(ctx):
    plan, pools = ctx.plan, ctx.pools
    n_fwd = plan.rtp_calls // 2
    n_rev = plan.rtp_calls - n_fwd
    ramp_s = max(n_fwd, n_rev) / plan.rtp_rate
    # Every call streams long enough to cover the ramp, a settling margin and
    # the measured window; then all streams stop before the first BYE.
    stream_ms = int((ramp_s + 3 + plan.rtp_window_s + 2) * 1000)
    settle_ms = int((ramp_s + 8) * 1000)
    hold_s = (stream_ms + settle_ms) / 1000 + ramp_s + 30

    first_callee = pools.callee_first + plan.setup_callees
    callee_fwd = list(range(first_callee, first_callee + n_fwd))
    callee_rev = list(range(first_callee + n_fwd, first_callee + n_fwd + n_rev))
    caller_fwd = list(range(pools.caller_first, pools.caller_first + n_fwd))
    caller_rev = list(range(pools.caller_first + n_fwd, pools.caller_first + n_fwd + n_rev))
    csv_fwd, csv_rev = ctx.path("rtp_fwd_calls.csv"), ctx.path("rtp_rev_calls.csv")
    tenant.write_calls_csv(csv_fwd, zip(caller_fwd, callee_fwd))
    tenant.write_calls_csv(csv_rev, zip(caller_rev, callee_rev))

    echo_answer = render("callee_answer", ctx.workdir)
    stream_answer = render("callee_stream", ctx.workdir, audio_file=ctx.audio_file,
                           stream_ms=stream_ms)
    callees = [
        start_callees(ctx, "rtp_fwd_callees", callee_fwd, echo_answer, slot=1, hold_s=hold_s,
                      rtp_echo=True)
    ]
    try:
        callees.append(start_callees(ctx, "rtp_rev_callees", callee_rev, stream_answer, slot=3,
                                     hold_s=hold_s))
        return _drive(ctx, callees, csv_fwd, csv_rev, n_fwd, n_rev, ramp_s, stream_ms,
                      settle_ms)
    finally:
        for sipp in callees:
            sipp.stop()


def _drive(ctx, callees, csv_fwd, csv_rev, n_fwd, n_rev, ramp_s, stream_ms, settle_ms):
    plan = ctx.plan
    callee_fwd, callee_rev = callees
    caller_timeout = int(ramp_s * 2 + (stream_ms + settle_ms) / 1000 + 30)
    fwd = Sipp("rtp_fwd_caller", ctx.workdir,
               render("caller_stream", ctx.workdir, audio_file=ctx.audio_file,
                      stream_ms=stream_ms, settle_ms=settle_ms),
               ctx.target, ctx.ports.sipp_sip(0), inf=csv_fwd, calls=n_fwd, rate=plan.rtp_rate,
               limit=n_fwd, timeout_s=caller_timeout, media_port=ctx.ports.sipp_media(0))
    rev = Sipp("rtp_rev_caller", ctx.workdir,
               render("caller_echo", ctx.workdir, hold_ms=stream_ms + settle_ms),
               ctx.target, ctx.ports.sipp_sip(2), inf=csv_rev, calls=n_rev, rate=plan.rtp_rate,
               limit=n_rev, timeout_s=caller_timeout, media_port=ctx.ports.sipp_media(2),
               rtp_echo=True)
    sipps = [fwd, rev, callee_fwd, callee_rev]
    rss_before = ctx.sample().rss_kb
    udp_before = procstat.udp_counters()
    t0 = time.monotonic()
    fwd.start()
    rev.start()

    _sleep_until(t0 + ramp_s + 3)
    s1 = ctx.sample()
    g1 = procstat.group_ticks(s.pid for s in sipps)
    _sleep_until(s1.at + plan.rtp_window_s)
    s2 = ctx.sample()
    g2 = procstat.group_ticks(s.pid for s in sipps)
    calls_up = _current_calls(fwd) + _current_calls(rev)

    # Wait for every established stream to stop, then for stragglers in
    # flight, then read all four counters.
    stop_deadline = t0 + ramp_s * 2 + stream_ms / 1000 + 3
    halves = [Half("forward (caller->box->callee)", n_fwd),
              Half("reverse (callee->box->caller)", n_rev)]
    while time.monotonic() < stop_deadline:
        halves[0].stopped = fwd.log_count("stopped")
        halves[1].stopped = callee_rev.log_count("stopped")
        if halves[0].stopped >= n_fwd and halves[1].stopped >= n_rev:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    halves[0].sent = stream_packets(fwd)
    halves[0].received = echo_packets(callee_fwd)
    halves[1].sent = stream_packets(callee_rev)
    halves[1].received = echo_packets(rev)

    for half, caller in zip(halves, (fwd, rev)):
        caller.wait()
        stats = caller.stats()
        half.successful = stat_int(stats, "SuccessfulCall(C)")
        half.failed = stat_int(stats, "FailedCall(C)")
        half.errors = caller.errors_tail()
    udp_after = procstat.udp_counters()
    window = s2.at - s1.at
    return MediaResult(
        calls_target=n_fwd + n_rev, calls_up=calls_up, window_s=window,
        daemon_cores=procstat.cores_used(s1, s2),
        sipp_cores=(g2 - g1) / procstat.CLK_TCK / window if window > 0 else 0.0,
        rss_before_kb=rss_before, rss_loaded_kb=s2.rss_kb, fds_loaded=s2.fds,
        threads_loaded=s2.threads, halves=halves,
        udp=procstat.udp_delta(udp_before, udp_after))


def _sleep_until(deadline):
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)
