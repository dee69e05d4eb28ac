"""Turns phase results into the printed report (and a JSON copy)."""

import json
from dataclasses import fields, is_dataclass

from . import report_media

TARGETS = {
    "reg_per_s": 3000,
    "setups_per_s": 1000,
    "calls": 800,
    "loss": 0.001,
    "core_pct_per_call": 0.15,
    "idle_rss_mb": 20,
    "kb_per_call": 100,
}


def _mb(kb):
    return f"{kb / 1024:.1f} MB"


def _verdict(ok):
    return "ok" if ok else "MISSED"


def _runs_table(runs):
    lines = [
        "    run              offered/s   done  failed retrans   secs  achieved/s"
        "  daemon CPU  SIPp CPU  host busy"
    ]
    for r in runs:
        lines.append(
            f"    {r.name:<16} {r.offered_rate:>9} {r.successful:>6} {r.failed:>7}"
            f" {r.retransmissions:>7} {r.seconds:>6.2f} {r.rate:>11.0f}"
            f" {r.daemon_cores:>8.2f} c {r.sipp_cores:>7.2f} c {r.host_cores:>7.2f} c"
            + (
                "  (= offered: raise the offer)"
                if r.open_loop and r.rate >= 0.97 * r.offered_rate
                else ""
            )
        )
        for e in r.errors[-2:]:
            lines.append(f"      sipp: {e[:150]}")
    return lines


def render(res):
    t = TARGETS
    out = [
        f"Centralita SIPp benchmark ({res['mode']}) - {res['when']}",
        f"  binary {res['binary']}",
        f"  {res['sipp_version']}; {res['cores']} cores,"
        " SIPp on the same cores; run folder " + res["workdir"],
        f"  host load average at start {res.get('loadavg', '?')} ('host busy' below counts"
        " every process: the machine is shared, others' work slows both sides)",
        "",
    ]
    if "idle_start_kb" in res:
        kb = res["idle_start_kb"]
        out.append(
            f"(d) idle RSS after start: {_mb(kb)}  [target < {t['idle_rss_mb']} MB]"
            f" {_verdict(kb < t['idle_rss_mb'] * 1024)}"
        )
    reg = res.get("register")
    if isinstance(reg, dict):
        out += ["", "(a) authenticated REGISTERs (REGISTER, 401, REGISTER+Digest MD5, 200)"]
        out += _runs_table(reg["runs"])
        # The full-speed run is the figure: the first registrations are too
        # few to time well, the churn runs at a fixed rate on purpose.
        peak = reg["runs"][1].rate if len(reg["runs"]) > 1 else reg["runs"][0].rate
        out.append(
            f"    full-speed rate: {peak:.0f} REG/s  [target {t['reg_per_s']}]"
            f" {_verdict(peak >= t['reg_per_s'])}"
        )
        out.append("    daemon RSS: " + "; ".join(f"{label} {_mb(kb)}" for label, kb in reg["rss"]))
        out += _churn_lines(reg["churn_timeline"], reg["runs"][-1])
    elif reg:
        out += ["", f"(a) REGISTER phase failed: {reg}"]
    setups = res.get("setups")
    if isinstance(setups, dict):
        run = setups["runs"][0]
        out += [
            "",
            "(b) authenticated call set-ups (INVITE, 407, ACK, INVITE+auth, 100/180/200,"
            " ACK, BYE, 200; no media)",
        ]
        out += _runs_table(setups["runs"])
        before, after = run.rss_timeline[0][1], run.rss_timeline[-1][1]
        out.append(
            f"    daemon RSS: {_mb(before)} before, {_mb(after)} right after"
            f" ({(after - before) / max(run.successful, 1):.2f} KB per set-up still held:"
            " transactions and dialogs linger up to 32 s by RFC 3261/6026)"
        )
        out.append(
            f"    achieved: {run.rate:.0f} set-ups/s  [target {t['setups_per_s']}]"
            f" {_verdict(run.rate >= t['setups_per_s'] and run.failed == 0)}"
        )
    elif setups:
        out += ["", f"(b) call set-up phase failed: {setups}"]
    media = res.get("media")
    if media is not None and not isinstance(media, str):
        out += [
            "",
            "(c) concurrent G.711 calls, RTP relayed both ways at 50 packets/s per direction",
        ]
        out += _media_lines(media, res["mode"] == "quick")
    elif media:
        out += ["", f"(c) media phase failed: {media}"]
    out += report_media.render(res)
    if "idle_end_kb" in res:
        end, start = res["idle_end_kb"], res.get("idle_start_kb", 0)
        out += [
            "",
            f"(d) idle RSS {res['idle_s']:.0f}s after phase {res.get('idle_end_after', '?')}:"
            f" {_mb(end)} ({end - start:+d} KB from the idle start; a daemon is restarted"
            " before each phase so that one's leftovers do not hide the next one's cost)",
        ]
    for when, code, secs, killed in res.get("exits", []):
        out.append(
            f"daemon shutdown on SIGTERM {when}: exit {code} in {secs:.2f}s"
            + (" (had to SIGKILL it)" if killed else "")
        )
    cdrs = res.get("cdrs")
    if cdrs and cdrs["calls"]:
        rows = cdrs["rows"]
        if rows is None:
            out.append("CDRs: `centralita cdr` failed")
        else:
            total = sum(rows.values())
            out.append(
                f"CDRs: {total} rows ({', '.join(f'{k} {v}' for k, v in sorted(rows.items()))})"
                f" for {cdrs['calls']} calls completed by SIPp"
                f" {_verdict(rows.get('answered', 0) >= cdrs['calls'])}"
            )
    for note in res.get("notes", []):
        out.append(f"NOTE: {note}")
    return "\n".join(out)


def _churn_lines(timeline, run):
    if len(timeline) < 4:
        return ["    churn too short to judge its RSS"]
    points = ", ".join(f"{t:.0f}s {kb / 1024:.1f}" for t, kb in timeline)
    end = timeline[-1][0]
    last_third = [kb for t, kb in timeline if t >= end * 2 / 3]
    growth = last_third[-1] - last_third[0]
    lines = [f"    RSS (MB) during {run.successful} re-registrations at {run.rate:.0f}/s: {points}"]
    if end < 40:
        lines.append(
            f"    RSS growth over the last third: {growth:+d} KB (churn of {end:.0f}s is"
            " shorter than a transaction's 32 s life: not judged)"
        )
    else:
        lines.append(
            f"    RSS growth over the last third of the churn: {growth:+d} KB"
            f" {_verdict(growth < 2048)} (flat = under 2 MB; state that lives ~32 s"
            " must have levelled off by then)"
        )
    return lines


def _media_lines(m, quick):
    t = TARGETS
    up = max(m.calls_up, 1)
    pct = m.daemon_cores / up * 100
    kb = (m.rss_loaded_kb - m.rss_before_kb) / up
    lines = [
        f"    calls up during the window: {m.calls_up} of {m.calls_target}"
        + (
            f"  [target {t['calls']} applies to the full run]"
            if quick
            else f"  [target {t['calls']}] {_verdict(m.calls_up >= t['calls'])}"
        )
    ]
    worst = None
    for h in m.halves:
        loss = h.loss
        shown = (
            f"unread ({h.unread} SIPp counters missing)" if loss is None else f"{loss * 100:.4f}%"
        )
        if loss is not None:
            worst = loss if worst is None else max(worst, loss)
        lines.append(
            f"    {h.name}: {h.calls} calls, {h.successful} ok / {h.failed} failed,"
            f" {h.stopped} streams ran to the end; sent {h.sent}, received"
            f" {h.received}: loss {shown}"
        )
        for e in h.errors[-2:]:
            lines.append(f"      sipp: {e[:150]}")
    if worst is not None:
        lines.append(
            f"    worst loss: {worst * 100:.4f}%  [target < {t['loss'] * 100:.1f}%]"
            f" {_verdict(worst < t['loss'])}"
        )
    lines.append(
        f"    daemon CPU over {m.window_s:.1f}s: {m.daemon_cores:.3f} cores ="
        f" {pct:.3f}% of a core per bridged call  [target <= {t['core_pct_per_call']}%]"
        f" {_verdict(pct <= t['core_pct_per_call'])}"
    )
    lines.append(
        f"    SIPp ({m.sipp_instances} instances) CPU over the window: {m.sipp_cores:.2f} cores;"
        f" whole host busy {m.host_cores:.2f} cores"
    )
    lines.append(
        f"    daemon RSS: {_mb(m.rss_before_kb)} before, {_mb(m.rss_loaded_kb)} loaded ="
        f" {kb:.1f} KB per call  [target < {t['kb_per_call']} KB]"
        f" {_verdict(kb < t['kb_per_call'])}"
    )
    lines.append(f"    daemon open fds {m.fds_loaded}, threads {m.threads_loaded} while loaded")
    lines.append(
        "    kernel drops per socket owner at the end of the streams: "
        + "; ".join(f"{k} {v}" for k, v in m.drops.items())
    )
    u = m.udp
    lines.append(
        f"    kernel UDP counters over the phase (whole host): in {u['InDatagrams']},"
        f" receive-buffer drops {u['RcvbufErrors']}, no port {u['NoPorts']}"
    )
    return lines


def to_json(res, path):
    def plain(x):
        if is_dataclass(x):
            out = {f.name: plain(getattr(x, f.name)) for f in fields(x)}
            for derived in (
                "rate",
                "loss",
                "core_pct_per_call",
                "kb_per_call",
            ):  # properties, which asdict leaves out
                if hasattr(x, derived):
                    out[derived] = getattr(x, derived)
            return out
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        return x

    with open(path, "w") as f:
        json.dump(plain(res), f, indent=1, default=str)
