#!/usr/bin/env python3
"""Centralita SIPp benchmark (issue 2, point 9). Entry point of scripts/bench.

Builds the release daemon, starts it on loopback with a fresh data folder
and a generated bench tenant, drives it with SIPp through four phases and
prints a report:
  (a) authenticated REGISTERs per second, RSS across re-registration churn;
  (b) authenticated call set-ups per second (no media);
  (c) concurrent bridged G.711 calls with RTP both ways: loss, CPU and RSS
      per call;
  (d) idle RSS.
Optional media-server phases (issue 4), with --phases containing them:
  (t) transcoded calls, PCMU caller / Opus callee: CPU and RSS per call,
      what the callee receives;
  (p) calls hearing a prompt from the box (an IVR): CPU per call, what the
      callers receive.
Every SIPp run is bounded by -m and -timeout, and we kill what outlives it.
Only processes this script started are ever signalled.
"""

import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import daemon as dmn  # noqa: E402
from lib import media_tenant, procstat, report, sipp, tenant  # noqa: E402
from lib.context import QUICK, Ctx, Plan, Ports  # noqa: E402
from lib.phase_media import phase_media  # noqa: E402
from lib.phase_prompt import phase_prompt  # noqa: E402
from lib.phase_sip import PhaseError, phase_register, phase_setups  # noqa: E402
from lib.phase_transcode import phase_transcode  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHASE_KEYS = ("register", "setups", "media", "transcode", "prompt")


def parse_args():
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1-minute smoke version")
    p.add_argument("--no-build", action="store_true", help="use target/release/centralita as it is")
    p.add_argument("--binary", help="bench this centralita binary instead (implies --no-build)")
    p.add_argument(
        "--phases",
        default="abc",
        help="subset of a,b,c,t,p to run (d always runs; t and p: media server, issue 4)",
    )
    p.add_argument(
        "--levels",
        help="concurrent calls of each level of phases t and p, comma-separated"
        " (default 50,100,200; quick 20)",
    )
    p.add_argument("--media-window", type=int, help="seconds measured per level of t and p")
    p.add_argument(
        "--one-way",
        action="store_true",
        help="phase t: the Opus callee does not echo (only PCMU -> Opus is transcoded)",
    )
    p.add_argument(
        "--calls", type=int, help="concurrent calls of phase (c) (default 800, quick 100)"
    )
    p.add_argument("--rtp-window", type=int, help="seconds of phase (c) measured")
    p.add_argument("--reg-rate", type=int, help="offered REGISTERs per second")
    p.add_argument("--setup-rate", type=int, help="offered call set-ups per second")
    p.add_argument("--setup-calls", type=int, help="call set-ups of phase (b)")
    p.add_argument(
        "--rust-log",
        default=os.environ.get("BENCH_RUST_LOG", "warn"),
        help="RUST_LOG of the daemon (default warn: logging is not what we measure)",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the run folder (kept anyway on failure)"
    )
    p.add_argument("--json", help="also write the results as JSON to this file")
    return p.parse_args()


def make_plan(args):
    plan = Plan(**vars(QUICK)) if args.quick else Plan()
    if args.calls:
        plan.rtp_calls = args.calls
    if args.rtp_window:
        plan.rtp_window_s = args.rtp_window
    if args.reg_rate:
        plan.reg_rate = args.reg_rate
    if args.setup_rate:
        plan.setup_rate = args.setup_rate
    if args.setup_calls:
        plan.setup_calls = args.setup_calls
    if args.levels:
        plan.media_levels = tuple(int(x) for x in args.levels.split(",") if x.strip())
    if args.media_window:
        plan.media_window_s = args.media_window
    if args.one_way:
        plan.transcode_echo = False
    return plan


def sipp_version():
    try:
        out = subprocess.run(["sipp", "-v"], capture_output=True, text=True, timeout=5).stdout
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if "SIPp v" in line:
            return line.strip()
    return "SIPp (version unknown)"


def _interrupted(signum, _frame):
    # timeout(1), CI or a terminal closing: end like Ctrl-C, so the finally
    # blocks stop every SIPp and daemon this run started.
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    args = parse_args()
    version = sipp_version()
    if version is None:
        print(
            "bench: SIPp not found; install it with `apt-get install sip-tester`", file=sys.stderr
        )
        return 2
    plan = make_plan(args)
    workdir = tempfile.mkdtemp(prefix="centralita-bench-")
    res = {
        "mode": "quick" if args.quick else "full",
        "workdir": workdir,
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "sipp_version": version,
        "cores": os.cpu_count(),
        "notes": [],
        "loadavg": procstat.loadavg(),
        "idle_s": plan.idle_s,
    }
    ok = False
    d = None
    prev = "start"  # what the current daemon has been through, for the report
    daemons = []  # (tag, Daemon) of every daemon started, for the final clean-up
    res["exits"] = []
    try:
        binary = args.binary or os.path.join(REPO, "target", "release", "centralita")
        if not (args.binary or args.no_build):
            log(f"building the release daemon (log: {workdir}/build.log)")
            binary = dmn.build(REPO, os.path.join(workdir, "build.log"))
        res["binary"] = binary
        if not os.access(binary, os.X_OK):
            raise dmn.DaemonError(f"no executable daemon at {binary}")
        # Phases (t) and (p) call from the caller pool, (t) needs its own callees;
        # the tenant stays as it was for a run without them (comparable idle RSS).
        media_levels = plan.media_levels if set("tp") & set(args.phases) else (0,)
        pools = tenant.make_pools(
            plan.reg_users,
            max(plan.rtp_calls, 100, *media_levels),
            plan.setup_callees + plan.rtp_calls + (sum(media_levels) if "t" in args.phases else 0),
        )
        data = os.path.join(workdir, "data")
        os.makedirs(data)
        doc = os.path.join(workdir, "bench-tenant.json")
        tenant.write_tenant(doc, pools)
        users = len(list(pools.all_extensions()))
        log(f"importing bench tenant {tenant.TENANT_ID} ({users} extensions)")
        dmn.import_tenant(binary, data, doc, os.path.join(workdir, "import.log"))
        ivr = prepare_ivr(binary, data, workdir, pools) if "p" in args.phases else (False, "")
        audio = os.path.join(workdir, "tone.pcmu")
        tenant.write_tone(audio)
        ports = Ports()

        def fresh_daemon(tag):
            daemon = dmn.Daemon(
                binary,
                data,
                f"127.0.0.1:{ports.sip}",
                f"127.0.0.1:{ports.http}",
                f"{ports.rtp_lo}-{ports.rtp_hi}",
                os.path.join(workdir, f"daemon_{tag}.log"),
                args.rust_log,
            )
            daemons.append((tag, daemon))
            daemon.start()
            log(f"daemon ready for {tag}, pid {daemon.pid}")
            return daemon

        d = fresh_daemon("start")
        ctx = Ctx(
            workdir=workdir,
            plan=plan,
            ports=ports,
            pools=pools,
            daemon=d,
            audio_file=audio,
            notes=res["notes"],
            ivr_ready=ivr[0],
            ivr_how=ivr[1],
        )

        def restart(tag):
            # A fresh daemon per level of the media-server phases.
            nonlocal d
            res["exits"].append((f"before {tag}",) + d.stop())
            d = ctx.daemon = fresh_daemon(tag)
            time.sleep(1)

        ctx.restart = restart
        time.sleep(plan.idle_s)
        res["idle_start_kb"] = ctx.sample().rss_kb
        phases = [
            ("a", "register", phase_register),
            ("b", "setups", phase_setups),
            ("c", "media", phase_media),
            ("t", "transcode", phase_transcode),
            ("p", "prompt", phase_prompt),
        ]
        first = True
        prev = "idle"
        for letter, key, fn in phases:
            if letter not in args.phases:
                continue
            if not first:
                # A fresh daemon per phase: state a phase leaves behind (and
                # the allocator's high-water mark) would hide what the next
                # one costs, e.g. calls reusing memory freed by set-ups.
                res["exits"].append((f"after {prev}",) + d.stop())
                d = ctx.daemon = fresh_daemon(f"phase_{letter}")
                time.sleep(1)
            first, prev = False, f"({letter})"
            log(f"phase ({letter}) {key}")
            try:
                res[key] = fn(ctx)
            except PhaseError as e:
                res[key] = str(e)
            except Exception as e:  # a bench bug: report it, keep the other phases
                with open(os.path.join(workdir, f"phase_{letter}_error.txt"), "w") as f:
                    traceback.print_exc(file=f)
                res[key] = f"bench error {e!r} (traceback in {workdir}/phase_{letter}_error.txt)"
            if not d.alive():
                res["notes"].append(
                    f"the daemon DIED during phase ({letter}), exit code "
                    f"{d.proc.returncode}; see {workdir}/daemon_phase_{letter}.log"
                )
                break
        if d.alive():
            time.sleep(plan.idle_s)
            res["idle_end_kb"] = ctx.sample().rss_kb
            res["idle_end_after"] = prev
        failed = [k for k in PHASE_KEYS if isinstance(res.get(k), str)]
        # A media-server level whose stream was wrong (no RTP, payload type,
        # calls not up) fails the run too; the report says which and why.
        for key in ("transcode", "prompt"):
            for lv in res[key]["levels"] if isinstance(res.get(key), dict) else []:
                if lv.problem:
                    failed.append(key)
                    res["notes"].append(f"{key} {lv.calls_target} calls: {lv.problem}")
        ok = d.alive() and not failed
    except dmn.DaemonError as e:
        res["notes"].append(f"daemon: {e}")
    except KeyboardInterrupt:
        res["notes"].append("interrupted")
    finally:
        for s in list(sipp.LIVE):
            s.stop()
        if d is not None and d.proc is not None and d.exit_code is None:
            res["exits"].append((f"after {prev}",) + d.stop())
        for _, daemon in daemons:
            daemon.stop()  # no-op for the ones already stopped
        for when, code, _, killed in res["exits"]:
            if code != 0 or killed:
                res["notes"].append(f"daemon {when}: exit code {code} on SIGTERM (contract: 0)")
    if "binary" in res and d is not None:
        res["cdrs"] = cdr_check(res, plan)
    res.setdefault("binary", "(not built)")
    print(report.render(res))
    report.to_json(res, os.path.join(workdir, "results.json"))
    if args.json:
        report.to_json(res, args.json)
    if ok and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"run folder kept: {workdir}")
    return 0 if ok else 1


def prepare_ivr(binary, data, workdir, pools):
    """(ready, how) of the bench IVR and its prompt; a failure only fails
    phase (p), which says why."""
    try:
        how = media_tenant.prepare_ivr(
            binary,
            data,
            workdir,
            pools,
            lambda doc, log: dmn.import_tenant(binary, data, doc, log),
        )
        return True, how
    except (dmn.DaemonError, RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)


def cdr_check(res, plan):
    """Calls the bench completed vs CDR rows the store holds."""
    calls = 0
    setups = res.get("setups")
    if isinstance(setups, dict):
        calls += sum(r.successful for r in setups["runs"])
    media = res.get("media")
    if media is not None and not isinstance(media, str):
        calls += sum(h.successful for h in media.halves)
    for key in ("transcode", "prompt"):
        if isinstance(res.get(key), dict):
            calls += sum(lv.successful for lv in res[key]["levels"])
    data = os.path.join(res["workdir"], "data")
    counts = dmn.count_cdrs(res["binary"], data, calls + 1000)
    return {"calls": calls, "rows": counts}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
