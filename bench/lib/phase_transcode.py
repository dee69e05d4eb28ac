"""Phase (t): transcoded calls, PCMU on the caller's side, Opus on the callee's.

For each level N (Plan.media_levels): N callers offer PCMU only and stream
G.711 u-law at 50 packets/s (caller_stream.xml, rtp_stream, the tone of phase
(c)); the callees answer Opus only (callee_opus.xml: PT 111, opus/48000/2)
with their SDP at an RTP sink (rtp_sink.py). So the box must decode every
u-law packet, resample 8 -> 48 kHz and Opus-encode it. The sink checks what
arrives (payload type 111, non-empty payloads, 20 ms Opus packets, sequence
and timestamps) and, with Plan.transcode_echo, sends each packet straight
back, so the box also decodes Opus, resamples 48 -> 8 kHz and u-law-encodes
towards the caller: both directions of a real call are transcoded. (What the
caller receives is not counted: SIPp's rtp_stream sockets never read.)
"""

from . import tenant
from .media_levels import Level, finish, measure, split
from .phase_media import MediaPorts
from .phase_sip import PhaseError, launch_callees, wait_registered
from .scenarios import render
from .sink_client import Sink
from .sipp import Sipp

OPUS_PT = 111


def phase_transcode(ctx):
    plan = ctx.plan
    # Callees of this phase come after those of phases (b) and (c): a binding a
    # finished SIPp left behind is never forked to.
    first = ctx.pools.callee_first + plan.setup_callees + plan.rtp_calls
    levels = []
    for n in plan.media_levels:
        if ctx.restart:
            ctx.restart(f"t{n}")
        callees = list(range(first, first + n))
        first += n
        level = Level(calls_target=n)
        levels.append(level)
        _level(ctx, level, callees)
        if not ctx.daemon.alive():
            break
    if not any(lv.received and lv.received.packets for lv in levels):
        why = "; ".join(lv.problem or f"{lv.failed} calls failed" for lv in levels)
        raise PhaseError(
            "no RTP received at the Opus callees: transcoding not in this build, or the calls"
            f" failed ({why}); see the run folder"
        )
    return {"levels": levels, "echo": plan.transcode_echo}


def _level(ctx, level, callees):
    plan, ports = ctx.plan, ctx.ports
    n = level.calls_target
    parts = split(n, plan.media_calls_per_sipp)
    ramp_s = n / plan.media_rate
    # Streams cover the ramp, the wait for the last calls and the window;
    # then each call hangs up by itself.
    stream_ms = int((ramp_s + 6 + plan.media_window_s + 2) * 1000)
    caller_timeout = int(ramp_s * 2 + stream_ms / 1000 + 30)
    media = MediaPorts(ports.sipp_media_base, stream_size=2 * max(parts) + 20)
    call = render(
        "caller_stream", ctx.workdir, audio_file=ctx.audio_file, stream_ms=stream_ms, settle_ms=500
    )
    callers, callee_sipps, sinks = [], [], []
    try:
        at = 0
        for i, size in enumerate(parts):
            # One sink and one callee instance per caller instance: a Python
            # sink takes at most media_calls_per_sipp streams (and echoes them).
            sink = Sink(f"t{n}_sink{i}", ctx.workdir, media.take("sink"), echo=plan.transcode_echo)
            sinks.append(sink.start())
            answer = render("callee_opus", ctx.workdir, sink_port=sink.port)
            mine = callees[at : at + size]
            callee_sipps.append(
                launch_callees(
                    ctx,
                    f"t{n}_callees{i}",
                    mine,
                    answer,
                    ports.sipp_sip(2 * i + 1),
                    media.take("echo"),
                    caller_timeout + 10,
                )
            )
            csv = ctx.path(f"t{n}_calls{i}.csv")
            callers_ext = range(ctx.pools.caller_first + at, ctx.pools.caller_first + at + size)
            tenant.write_calls_csv(csv, zip(callers_ext, mine))
            at += size
            callers.append(
                Sipp(
                    f"t{n}_caller{i}",
                    ctx.workdir,
                    call,
                    ctx.target,
                    ports.sipp_sip(2 * i),
                    inf=csv,
                    calls=size,
                    rate=max(1, round(plan.media_rate / len(parts))),
                    limit=size,
                    timeout_s=caller_timeout,
                    media_port=media.take("stream"),
                )
            )
        wait_registered(callee_sipps)
        measure(ctx, level, callers, callee_sipps, sinks, ramp_s)
        r = level.received
        if not r.packets:
            level.problem = level.problem or "no RTP received: transcoding not in this build"
        elif r.pts.get(str(OPUS_PT), 0) != r.packets:
            level.problem = f"payload types received {r.pts}, not only {OPUS_PT} (Opus)"
    finally:
        finish(level, callers, callee_sipps + sinks)
