"""Reads what the kernel knows about a process: RSS, CPU ticks, open fds.

Everything here is a plain read of /proc, so the bench measures the daemon
from outside, exactly as an operator would, with no help from the daemon.
"""

import os
import time
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    """One look at a process at a monotonic instant."""

    at: float  # time.monotonic()
    rss_kb: int
    cpu_ticks: int  # utime + stime, in CLK_TCK units
    threads: int
    fds: int


def rss_kb(pid):
    """VmRSS of pid in KiB, or 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_ticks(pid):
    """utime + stime of pid (all its threads), in clock ticks; 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    # The command name (field 2) may hold spaces and parentheses: split after
    # the last ')' so field numbering is right whatever the name is.
    rest = raw[raw.rfind(")") + 2 :].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return int(rest[11]) + int(rest[12])


def threads(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0


def sample(pid):
    return Sample(time.monotonic(), rss_kb(pid), cpu_ticks(pid), threads(pid), fd_count(pid))


def cores_used(a, b):
    """Average number of cores pid used between two samples."""
    wall = b.at - a.at
    if wall <= 0:
        return 0.0
    return (b.cpu_ticks - a.cpu_ticks) / CLK_TCK / wall


def group_ticks(pids):
    return sum(cpu_ticks(p) for p in pids)


def udp_counters():
    """The Udp: line of /proc/net/snmp as a dict (whole network namespace:
    other programs' traffic is in it too, so only deltas over a phase mean
    anything, and only as a hint)."""
    with open("/proc/net/snmp") as f:
        lines = [row.split() for row in f if row.startswith("Udp:")]
    if len(lines) < 2:
        return {}
    names, values = lines[0][1:], lines[1][1:]
    return {n: int(v) for n, v in zip(names, values)}


def udp_delta(before, after):
    keys = ("InDatagrams", "NoPorts", "InErrors", "RcvbufErrors", "SndbufErrors")
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys}


def udp_socket_drops():
    """{local port: drops} of every IPv4 UDP socket (/proc/net/udp, last
    column). Per socket, so a loss can be pinned on the daemon's relay ports
    or on a load generator's socket. Only sockets open right now appear."""
    drops = {}
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if len(cols) < 13:
                    continue
                port = int(cols[1].split(":")[1], 16)
                drops[port] = drops.get(port, 0) + int(cols[-1])
    except (FileNotFoundError, StopIteration, ValueError):
        pass
    return drops


def drops_in(drops, lo, hi):
    """Drops summed over sockets bound to ports lo..hi inclusive."""
    return sum(n for port, n in drops.items() if lo <= port <= hi)


def host_cpu():
    """(busy, total) jiffies of the whole host from /proc/stat's cpu line:
    the machine is shared, and a figure measured while others compile must
    say so."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def host_busy_cores(before, after):
    busy = after[0] - before[0]
    total = after[1] - before[1]
    if total <= 0:
        return 0.0
    return busy / total * (os.cpu_count() or 1)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def thread_ticks(pid):
    """{tid: (thread name, utime + stime ticks)} of every thread of pid: the
    busiest thread over a window says whether a single thread is the limit."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        rest = raw[raw.rfind(")") + 2 :].split()
        out[tid] = (name, int(rest[11]) + int(rest[12]))
    return out


def busiest_thread(before, after, seconds):
    """(name, cores) of the thread that used the most CPU between two
    thread_ticks() readings, or ("", 0.0)."""
    best = ("", 0.0)
    if seconds <= 0:
        return best
    for tid, (name, ticks) in after.items():
        used = (ticks - before.get(tid, (name, 0))[1]) / CLK_TCK / seconds
        if used > best[1]:
            best = (name, used)
    return best
