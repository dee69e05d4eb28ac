"""The report's lines for the media-server phases (t) and (p)."""

from .media_levels import PACKETS_PER_S


def _level_lines(lv, pt_name):
    r = lv.received
    lines = [
        f"    {lv.calls_target:>4} calls: {lv.calls_up} up over {lv.window_s:.1f}s;"
        f" daemon {lv.daemon_cores:.3f} cores = {lv.core_pct_per_call:.3f}% of a core per call;"
        f" RSS {lv.rss_before_kb / 1024:.1f} -> {lv.rss_loaded_kb / 1024:.1f} MB ="
        f" {lv.kb_per_call:.1f} KB per call; threads {lv.threads_loaded}"
        f" (busiest {lv.busiest_thread[0]!r} {lv.busiest_thread[1]:.2f} cores)"
    ]
    if r is not None and r.packets:
        mean_bytes = r.payload_bytes / r.packets
        lines.append(
            f"          received from {r.sources} call legs: {r.rate_per_source:.1f} packets/s"
            f" per call (min {r.rate_quantile(0):.1f}, median {r.rate_quantile(0.5):.1f},"
            f" max {r.rate_quantile(1):.1f}; {PACKETS_PER_S} expected); payload types"
            f" {_pts(r.pts)}; {pt_name} payloads {mean_bytes:.1f} bytes on average"
        )
        lines.append(
            f"          empty payloads {r.empty}, all-silent G.711 {r.silent}, Opus not 20 ms"
            f" {r.not_20ms}, missing by sequence {r.seq_gaps}, timestamp steps off {r.ts_odd},"
            f" not RTP {r.not_rtp}"
        )
        if r.opus_configs:
            lines.append(f"          Opus TOC configs (RFC 6716 3.1): {_configs(r.opus_configs)}")
    else:
        lines.append("          NO RTP received in the window")
    lines.append(
        f"          SIPp {lv.sipp_cores:.2f} cores, RTP sinks {lv.sink_cores:.2f} cores,"
        f" whole host busy {lv.host_cores:.2f} cores; kernel drops on the daemon's RTP"
        f" sockets {lv.relay_drops} (whole host {lv.rcvbuf_errors}); calls {lv.successful}"
        f" ok / {lv.failed} failed, {lv.retransmissions} SIP retransmissions by the callers"
    )
    if lv.problem:
        lines.append(f"          PROBLEM: {lv.problem}")
    if lv.slow:
        lines.append(f"          MISSED: {lv.slow}")
    for e in lv.errors[-2:]:
        lines.append(f"          sipp: {e[:150]}")
    return lines


# RFC 6716 table 2: TOC config ranges by mode and audio bandwidth.
_MODES = (
    (0, 3, "SILK NB"),
    (4, 7, "SILK MB"),
    (8, 11, "SILK WB"),
    (12, 13, "hybrid SWB"),
    (14, 15, "hybrid FB"),
    (16, 19, "CELT NB"),
    (20, 23, "CELT WB"),
    (24, 27, "CELT SWB"),
    (28, 31, "CELT FB"),
)


def _configs(configs):
    named = {}
    for c, n in configs.items():
        if n <= 0:
            continue
        name = next((m for lo, hi, m in _MODES if lo <= int(c) <= hi), "?")
        named[name] = named.get(name, 0) + n
    return ", ".join(f"{m} {n}" for m, n in sorted(named.items(), key=lambda kv: -kv[1]))


def _pts(pts):
    return ", ".join(f"{pt}: {n}" for pt, n in sorted(pts.items(), key=lambda kv: int(kv[0])))


def render(res):
    out = []
    t = res.get("transcode")
    if isinstance(t, dict):
        both = "both directions (the callee echoes its Opus)" if t["echo"] else "one direction"
        out += [
            "",
            "(t) transcoded calls: caller PCMU only (50 packets/s u-law), callee Opus only"
            f" (PT 111); transcoded {both}; what the callee receives:",
        ]
        for lv in t["levels"]:
            out += _level_lines(lv, "Opus")
    elif t:
        out += ["", f"(t) transcoded calls phase failed: {t}"]
    p = res.get("prompt")
    if isinstance(p, dict):
        out += [
            "",
            "(p) calls hearing a 30 s prompt played by the box (IVR, PCMU callers that send"
            f" nothing); prompt {p['prompt']}; what the callers receive:",
        ]
        for lv in p["levels"]:
            out += _level_lines(lv, "PCMU")
    elif p:
        out += ["", f"(p) prompt phase failed: {p}"]
    return out
