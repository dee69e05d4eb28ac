"""The bench tenant: its JSON document, the SIPp injection CSVs, the audio.

Extension numbers are split into disjoint pools so that a binding left behind
by one phase (a SIPp instance that is gone) can never be forked to by a later
phase: registration pool, callers, and one callee pool per callee instance.
"""

import hashlib
import json
import math
from dataclasses import dataclass

TENANT_ID = 77001


def sip_username(ext):
    # SPEC.md section 3: `ext<tenant id><extension>`
    return f"ext{TENANT_ID}{ext}"


def sip_password(ext):
    # Deterministic so a failed run can be replayed by hand, long and mixed so
    # a strength rule in the importer has nothing to refuse.
    digest = hashlib.sha256(f"centralita-bench-{ext}".encode()).hexdigest()
    return f"Bx{digest[:14]}Q{ext}k"


@dataclass
class Pools:
    """First extension and size of each pool (see the module doc)."""

    reg_first: int
    reg_count: int
    caller_first: int
    caller_count: int
    callee_first: int
    callee_count: int

    def all_extensions(self):
        yield from range(self.reg_first, self.reg_first + self.reg_count)
        yield from range(self.caller_first, self.caller_first + self.caller_count)
        yield from range(self.callee_first, self.callee_first + self.callee_count)


def make_pools(reg_count, caller_count, callee_count):
    # Four-digit numbers (what a small office dials), one block per pool.
    if reg_count > 4000 or caller_count > 2000 or callee_count > 3000:
        raise ValueError(
            "bench pools: at most 4000 registering, 2000 calling, 3000 called extensions"
        )
    return Pools(
        reg_first=1000,
        reg_count=reg_count,
        caller_first=5000,
        caller_count=caller_count,
        callee_first=7000,
        callee_count=callee_count,
    )


def tenant_document(pools):
    users = []
    for ext in pools.all_extensions():
        users.append(
            {
                "id": f"u{ext}",
                "extension": str(ext),
                "full_name": f"Bench {ext}",
                "email": f"bench{ext}@example.com",
                "role": "user",
                "sip_password": sip_password(ext),
                "internal_only": False,
                "ring_seconds": 30,
            }
        )
    return {
        "schema": 1,
        "tenant": {
            "id": TENANT_ID,
            "name": "Bench",
            "max_extensions": len(users),
            "timezone": "Europe/Madrid",
            "recording": False,
            "created": "2024-01-02",
        },
        "provider": None,
        "users": users,
    }


def write_tenant(path, pools):
    with open(path, "w") as f:
        json.dump(tenant_document(pools), f, indent=1)


def auth_field(ext):
    """The whole [authentication ...] keyword as one CSV field. SIPp 3.6 does
    not expand [fieldN] nested inside [authentication]; it does parse an
    injected field whose text is the keyword (message.cpp, E_Message_Injection),
    so the scenarios carry a bare [field1] where the Authorization goes."""
    return f"[authentication username={sip_username(ext)} password={sip_password(ext)}]"


def write_users_csv(path, extensions):
    """SIPp -inf file: field0 = SIP username, field1 = authentication keyword."""
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for ext in extensions:
            f.write(f"{sip_username(ext)};{auth_field(ext)};\n")


def write_calls_csv(path, pairs):
    """SIPp -inf file: field0 = caller SIP username, field1 = its
    authentication keyword, field2 = the number dialled."""
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for caller, callee in pairs:
            f.write(f"{sip_username(caller)};{auth_field(caller)};{callee};\n")


def linear_to_ulaw(sample):
    """G.711 mu-law encoding of one 16-bit linear sample (ITU-T G.711)."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def write_tone(path, seconds=1, hz=400, rate=8000):
    """Raw PCMU (what rtp_stream plays with payload 0: 160 bytes = 20 ms per
    packet). A real tone, not silence, so a capture of a run is audible."""
    samples = (int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(seconds * rate))
    with open(path, "wb") as f:
        f.write(bytes(linear_to_ulaw(s) for s in samples))
