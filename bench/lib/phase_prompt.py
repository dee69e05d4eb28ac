"""Phase (p): concurrent calls that hear a prompt played by the box.

For each level N (Plan.media_levels): N callers dial the bench IVR
(media_tenant.IVR_NUMBER: a 30 s prompt, a 300 s no-input timeout), offering
PCMU with their SDP at an RTP sink, and hang up after the window, while the
prompt still plays. The box answers every call itself and plays the 16 kHz
prompt resampled and u-law-encoded: the sink counts what each caller
receives (50 packets/s expected, payload type 0, no empty or all-silent
payload, sequence and timestamps in step).
"""

from . import tenant
from .media_levels import Level, finish, measure, split
from .media_tenant import IVR_NUMBER
from .phase_media import MediaPorts
from .phase_sip import PhaseError
from .scenarios import render
from .sink_client import Sink
from .sipp import Sipp


def phase_prompt(ctx):
    plan = ctx.plan
    if not ctx.ivr_ready:
        raise PhaseError(f"the bench IVR could not be set up: {ctx.ivr_how}")
    levels = []
    for n in plan.media_levels:
        if ctx.restart:
            ctx.restart(f"p{n}")
        level = Level(calls_target=n)
        levels.append(level)
        _level(ctx, level)
        if not ctx.daemon.alive():
            break
    if not any(lv.received and lv.received.packets for lv in levels):
        why = "; ".join(lv.problem or f"{lv.failed} calls failed" for lv in levels)
        raise PhaseError(
            "no RTP received by the callers of the IVR: prompt playback not in this build, or"
            f" the calls failed ({why}); see the run folder"
        )
    return {"levels": levels, "prompt": ctx.ivr_how}


def _level(ctx, level):
    plan, ports = ctx.plan, ctx.ports
    n = level.calls_target
    parts = split(n, plan.media_calls_per_sipp)
    ramp_s = n / plan.media_rate
    hold_ms = int((ramp_s + 6 + plan.media_window_s + 2) * 1000)
    caller_timeout = int(ramp_s * 2 + hold_ms / 1000 + 30)
    media = MediaPorts(ports.sipp_media_base, stream_size=0)
    callers, sinks = [], []
    try:
        at = 0
        for i, size in enumerate(parts):
            # One sink per caller instance: each takes at most
            # media_calls_per_sipp streams' bursts.
            sink = Sink(f"p{n}_sink{i}", ctx.workdir, media.take("sink"))
            sinks.append(sink.start())
            call = render("caller_prompt", ctx.workdir, sink_port=sink.port, hold_ms=hold_ms)
            csv = ctx.path(f"p{n}_calls{i}.csv")
            callers_ext = range(ctx.pools.caller_first + at, ctx.pools.caller_first + at + size)
            tenant.write_calls_csv(csv, ((c, IVR_NUMBER) for c in callers_ext))
            at += size
            callers.append(
                Sipp(
                    f"p{n}_caller{i}",
                    ctx.workdir,
                    call,
                    ctx.target,
                    ports.sipp_sip(1 + i),
                    inf=csv,
                    calls=size,
                    rate=max(1, round(plan.media_rate / len(parts))),
                    limit=size,
                    timeout_s=caller_timeout,
                    media_port=media.take("echo"),
                )
            )
        measure(ctx, level, callers, [], sinks, ramp_s)
        r = level.received
        if not r.packets:
            level.problem = level.problem or "no RTP received: prompt playback not in this build"
        elif r.pts.get("0", 0) != r.packets:
            level.problem = f"payload types received {r.pts}, not only 0 (PCMU)"
    finally:
        finish(level, callers, sinks)
