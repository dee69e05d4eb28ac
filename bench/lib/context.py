"""What every phase of a bench run shares: the plan, the folder, the ports."""

import os
from dataclasses import dataclass, field

from . import procstat


@dataclass
class Plan:
    """Sizes and durations of one run. Every phase is bounded by these in
    count (SIPp -m) and in time (SIPp -timeout, plus our own kill)."""

    reg_users: int = 2000  # distinct accounts registered in phase (a)
    reg_peak: int = 20000  # re-registrations offered as fast as reg_rate allows
    reg_rate: int = 20000  # offered registrations per second (well above target)
    # Outstanding registrations SIPp may have: more is slower here (SIPp
    # walks its open calls), 100 gave the best rate on these 2 cores.
    reg_limit: int = 100
    # Churn at a steady rate for longer than a server transaction lives
    # (Timer J = 64*T1 = 32 s over UDP), so the RSS must reach its plateau
    # inside the run: growth over its last third is what "flat" is judged on.
    reg_churn_rate: int = 3000
    reg_churn_s: int = 48
    setup_callees: int = 100  # extensions answering in phase (b)
    setup_calls: int = 16000  # call set-ups in phase (b)
    setup_rate: int = 4000  # offered call set-ups per second (well above target)
    setup_limit: int = 600
    rtp_calls: int = 800  # concurrent bridged calls in phase (c)
    rtp_rate: int = 100  # call set-ups per second of each half while ramping up
    rtp_window_s: int = 30  # how long every call is up and talking, measured
    # Calls per SIPp instance in phase (c): one -rtp_echo socket (one thread)
    # per instance takes that many streams' bursts; 100 keeps the bursts
    # inside a default socket buffer (400 did not: the generator dropped).
    rtp_calls_per_sipp: int = 100
    idle_s: float = 3.0  # quiet time before an idle RSS reading
    # Media-server phases (t) transcoded calls and (p) prompts: concurrent
    # calls of each level, a fresh daemon per level.
    media_levels: tuple = (50, 100, 200)
    media_window_s: int = 10  # measured while every call of a level is up
    media_rate: int = 50  # call set-ups per second while ramping up
    media_calls_per_sipp: int = 100  # and per RTP sink (one Python process each)
    # The Opus callee echoes what it receives, so both directions are transcoded.
    transcode_echo: bool = True


QUICK = Plan(
    reg_users=300,
    reg_peak=4000,
    reg_churn_rate=1000,
    reg_churn_s=6,
    setup_callees=20,
    setup_calls=4000,
    setup_rate=2000,
    setup_limit=300,
    rtp_calls=100,
    rtp_rate=50,
    rtp_window_s=6,
    idle_s=1.5,
    media_levels=(20,),
    media_window_s=4,
)


@dataclass
class Ports:
    """Loopback ports: away from 5060 and the daemon's default RTP range so a
    bench can run beside the end-to-end tests of the rest of the team."""

    sip: int = 35060
    http: int = 35080
    rtp_lo: int = 20002  # 800 calls x 2 legs x RTP+RTCP = 3,200 ports
    rtp_hi: int = 27999
    sipp_sip_base: int = 35100  # + slot, one per SIPp instance
    # Below the kernel's ephemeral range (32768-) so no client socket of
    # anybody takes them: 1000 ports per SIPp instance that has media
    # (rtp_stream takes two per call).
    sipp_media_base: int = 28000

    def sipp_sip(self, slot):
        return self.sipp_sip_base + slot

    def sipp_media(self, slot, spacing=1000):
        port = self.sipp_media_base + spacing * slot
        if port + spacing > 32768:
            raise ValueError(f"SIPp media ports would reach the ephemeral range ({port})")
        return port


@dataclass
class Ctx:
    workdir: str
    plan: Plan
    ports: Ports
    pools: object  # tenant.Pools
    daemon: object  # daemon.Daemon
    audio_file: str
    notes: list = field(default_factory=list)  # things the report must say
    # restart(tag): a fresh daemon on the same data folder (ctx.daemon becomes it).
    restart: object = None
    ivr_ready: bool = False  # the bench IVR and its prompt are in the store
    ivr_how: str = ""  # how the prompt got there, or why it did not

    def path(self, name):
        return os.path.join(self.workdir, name)

    @property
    def target(self):
        return f"127.0.0.1:{self.ports.sip}"

    def sample(self):
        return procstat.sample(self.daemon.pid)

    def note(self, text):
        self.notes.append(text)
