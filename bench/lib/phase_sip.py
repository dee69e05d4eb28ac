"""Phases (a) and (b): authenticated REGISTERs and call set-ups per second.

Each SIPp run is offered more than the target rate and a bounded number of
outstanding transactions; what it achieves is successful calls over SIPp's
own run time. The daemon's CPU over the same run says whether the daemon or
the load generator (same two cores) was the limit.
"""

import time
from dataclasses import dataclass

from . import procstat, tenant
from .scenarios import render
from .sipp import Sipp, run_seconds, stat_int


@dataclass
class RunResult:
    name: str
    offered_rate: int
    attempted: int
    successful: int
    failed: int
    retransmissions: int
    seconds: float
    daemon_cores: float
    sipp_cores: float
    errors: list
    rc: int
    rss_timeline: list  # (seconds since start, daemon RSS KB), every rss_every_s
    host_cores: float  # busy cores of the whole host meanwhile (others' work too)
    open_loop: bool  # offered above what we expect: the rate achieved is the figure

    @property
    def rate(self):
        return self.successful / self.seconds if self.seconds > 0 else 0.0


def run_load(
    ctx, name, scenario, inf, calls, rate, limit, slot, extra=(), rss_every_s=None, open_loop=True
):
    """One bounded SIPp load run against the daemon, with CPU of both sides
    (and the daemon's RSS every rss_every_s seconds if asked)."""
    # Time bound: the calls at a quarter of the offered rate, plus slack.
    timeout_s = int(calls / max(rate / 4, 1)) + 15
    sipp = Sipp(
        name,
        ctx.workdir,
        scenario,
        ctx.target,
        ctx.ports.sipp_sip(slot),
        inf=inf,
        calls=calls,
        rate=rate,
        limit=limit,
        timeout_s=timeout_s,
        media_port=ctx.ports.sipp_media(slot),
        extra=("-timer_resol", "1", *extra),
    )
    host_before = procstat.host_cpu()
    before = ctx.sample()
    sipp.start()
    sipp_ticks = 0
    timeline = [(0.0, before.rss_kb)]
    while sipp.running() and time.monotonic() - sipp.started < timeout_s + 10:
        sipp_ticks = procstat.cpu_ticks(sipp.pid) or sipp_ticks
        elapsed = time.monotonic() - before.at
        if rss_every_s and elapsed >= timeline[-1][0] + rss_every_s:
            timeline.append((elapsed, procstat.rss_kb(ctx.daemon.pid)))
        time.sleep(0.05)
    rc = sipp.wait()
    after = ctx.sample()
    host_after = procstat.host_cpu()
    stats = sipp.stats()
    seconds = run_seconds(stats) or (after.at - before.at)
    return RunResult(
        name=name,
        offered_rate=rate,
        attempted=stat_int(stats, "TotalCallCreated"),
        successful=stat_int(stats, "SuccessfulCall(C)"),
        failed=stat_int(stats, "FailedCall(C)"),
        retransmissions=stat_int(stats, "Retransmissions(C)"),
        seconds=seconds,
        daemon_cores=procstat.cores_used(before, after),
        sipp_cores=sipp_ticks / procstat.CLK_TCK / max(after.at - before.at, 1e-6),
        errors=sipp.errors_tail(),
        rc=rc,
        rss_timeline=timeline + [(after.at - before.at, after.rss_kb)],
        host_cores=procstat.host_busy_cores(host_before, host_after),
        open_loop=open_loop,
    )


def phase_register(ctx):
    """(a) REGISTER/401/REGISTER/200 over many users: first registrations,
    a run offered well above the target (the rate figure), then churn at a
    steady rate for longer than server transactions live, sampling RSS, which
    must level off (bindings are replaced, not added; per-transaction state
    expires)."""
    plan, pools = ctx.plan, ctx.pools
    users = range(pools.reg_first, pools.reg_first + plan.reg_users)
    csv = ctx.path("reg_users.csv")
    tenant.write_users_csv(csv, users)
    scenario = render("register", ctx.workdir)
    rss = [("before", ctx.sample().rss_kb)]
    runs = [
        run_load(
            ctx, "reg_initial", scenario, csv, plan.reg_users, plan.reg_rate, plan.reg_limit, slot=0
        )
    ]
    rss.append((f"after {plan.reg_users} first registrations", ctx.sample().rss_kb))
    runs.append(
        run_load(
            ctx, "reg_peak", scenario, csv, plan.reg_peak, plan.reg_rate, plan.reg_limit, slot=0
        )
    )
    rss.append((f"after {plan.reg_peak} more at full speed", ctx.sample().rss_kb))
    churn = run_load(
        ctx,
        "reg_churn",
        scenario,
        csv,
        plan.reg_churn_rate * plan.reg_churn_s,
        plan.reg_churn_rate,
        plan.reg_limit,
        slot=0,
        rss_every_s=max(plan.reg_churn_s / 12, 1),
        open_loop=False,
    )
    runs.append(churn)
    rss.append(("after the churn", ctx.sample().rss_kb))
    return {"runs": runs, "rss": rss, "churn_timeline": churn.rss_timeline}


def launch_callees(
    ctx, name, extensions, ooc, sip_port, media_port, hold_s, rtp_echo=False, rtp_buffsize=None
):
    """A SIPp instance that registers `extensions` on its own socket and
    answers the calls the box sends them with the `ooc` scenario. Returns at
    once: wait_registered() says when it is ready."""
    csv = ctx.path(f"{name}_users.csv")
    tenant.write_users_csv(csv, extensions)
    main = render("callee_register", ctx.workdir, hold_ms=int(hold_s * 1000))
    count = len(extensions)
    sipp = Sipp(
        name,
        ctx.workdir,
        main,
        ctx.target,
        sip_port,
        inf=csv,
        calls=count,
        rate=min(count, 500),
        limit=count,
        timeout_s=hold_s + 30,
        media_port=media_port,
        rtp_echo=rtp_echo,
        ooc=ooc,
        trace_err=False,
        rtp_buffsize=rtp_buffsize,
    )
    sipp.expected_registrations = count
    return sipp.start()


def wait_registered(sipps):
    """Wait until every callee instance logged all its registrations."""
    for sipp in sipps:
        count = sipp.expected_registrations
        got = sipp.wait_log_count("registered", count, timeout_s=15 + count / 100)
        if got < count:
            raise PhaseError(
                f"{sipp.name}: only {got} of {count} callee extensions registered "
                f"(SIPp files: {sipp.screen_file}, {sipp.stderr_file})"
            )


class PhaseError(Exception):
    """A phase could not set itself up (e.g. callees did not register)."""


def phase_setups(ctx):
    """(b) INVITE/407/ACK/INVITE+auth/100/180/200/ACK/BYE/200, no media,
    callers spread over the caller pool, callees over a small callee pool."""
    plan, pools = ctx.plan, ctx.pools
    callees = list(range(pools.callee_first, pools.callee_first + plan.setup_callees))
    callers = list(range(pools.caller_first, pools.caller_first + pools.caller_count))
    csv = ctx.path("setup_calls.csv")
    tenant.write_calls_csv(csv, [(c, callees[i % len(callees)]) for i, c in enumerate(callers)])
    budget_s = plan.setup_calls / max(plan.setup_rate / 4, 1) + 30
    ooc = render("callee_answer", ctx.workdir)
    callee = launch_callees(
        ctx,
        "setup_callees",
        callees,
        ooc,
        ctx.ports.sipp_sip(1),
        ctx.ports.sipp_media(1),
        hold_s=budget_s,
    )
    try:
        wait_registered([callee])
        run = run_load(
            ctx,
            "setup_caller",
            render("caller_setup", ctx.workdir),
            csv,
            plan.setup_calls,
            plan.setup_rate,
            plan.setup_limit,
            slot=0,
        )
    finally:
        callee.stop()
    return {"runs": [run]}
