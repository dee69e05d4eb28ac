#!/usr/bin/env python3
"""An RTP sink for the media-server phases: counts, per source address, what
the box sends to one SDP address, and (optionally) sends every packet straight
back to where it came from.

SIPp 3.6 cannot say which payload type it received, nor whether a payload was
empty, so the phases that must check what the box *generates* (transcoded
Opus, played prompts) point the SDP of the far end at this process instead.
Each call's leg of the box has its own relay port, so the source address
tells the calls apart. Per source it keeps: packets, payload bytes, payload
types seen, empty payloads, silent G.711 payloads, sequence gaps, timestamp
steps other than one frame, and (Opus) packets that are not 20 ms.

Run as a separate process (its CPU is its own, not the bench's):
    rtp_sink.py --port P --snapshots PREFIX [--echo] [--opus-pt 111]
SIGUSR1 writes PREFIX-<n>.json (n = 1, 2, ... per signal) atomically, so the
runner reads the counters at the start and end of its window; SIGTERM ends it.
Loopback only: it binds 127.0.0.1.
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

# Receive buffer asked for (capped by net.core.rmem_max): 200 calls burst
# their packets in the same millisecond.
RCVBUF = 4 * 1024 * 1024

# RFC 6716 section 3.1: frame length in tenths of ms of each TOC config.
_SILK = (100, 200, 400, 600)
_HYBRID = (100, 200)
_CELT = (25, 50, 100, 200)


def opus_packet_tenths_ms(payload):
    """Duration of an Opus packet in tenths of a millisecond, or None if the
    packet is too short to say (RFC 6716 3.1 and 3.2)."""
    if not payload:
        return None
    toc = payload[0]
    config = toc >> 3
    if config < 12:
        frame = _SILK[config & 3]
    elif config < 16:
        frame = _HYBRID[config & 1]
    else:
        frame = _CELT[config & 3]
    code = toc & 3
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(payload) < 2:
            return None
        frames = payload[1] & 0x3F
    return frame * frames


def g711_silent(payload):
    """A G.711 payload of digital silence only (u-law 0xFF/0x7F, A-law
    0xD5/0x55): a prompt that plays nothing would look like this."""
    return not payload.translate(None, b"\xff\x7f\xd5\x55")


class Source:
    __slots__ = (
        "bytes",
        "empty",
        "first_at",
        "last_at",
        "last_seq",
        "last_ts",
        "not_20ms",
        "opus_configs",
        "packets",
        "pts",
        "seq_gaps",
        "silent",
        "ts_odd",
    )

    def __init__(self, now):
        self.packets = 0
        self.bytes = 0
        self.pts = {}
        self.empty = 0
        self.silent = 0
        self.not_20ms = 0
        self.opus_configs = {}  # TOC config (RFC 6716 3.1: mode and bandwidth) -> packets
        self.seq_gaps = 0  # packets missing by sequence number
        self.ts_odd = 0  # timestamp steps other than one 20 ms frame per sequence step
        self.last_seq = None
        self.last_ts = None
        self.first_at = now
        self.last_at = now

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__ if k not in ("last_seq", "last_ts")}


def payload_of(packet):
    """(payload type, sequence, timestamp, payload) of an RTP packet, or None
    if it is not RTP version 2 or its header runs past its end (RFC 3550 5.1)."""
    n = len(packet)
    if n < 12 or packet[0] >> 6 != 2:
        return None
    b0 = packet[0]
    start = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension
        if n < start + 4:
            return None
        start += 4 + 4 * int.from_bytes(packet[start + 2 : start + 4], "big")
    end = n
    if b0 & 0x20:  # padding: the last byte counts it
        end -= packet[-1]
    if start > end:
        return None
    pt = packet[1] & 0x7F
    seq = int.from_bytes(packet[2:4], "big")
    ts = int.from_bytes(packet[4:8], "big")
    return pt, seq, ts, packet[start:end]


def frame_ticks(pt, opus_pt):
    # 20 ms at the RTP clock: 960 for Opus (48 kHz), 160 for the 8 kHz-clock codecs.
    return 960 if pt == opus_pt else 160


class Sink:
    def __init__(self, port, prefix, echo, opus_pt):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.sock.bind(("127.0.0.1", port))
        self.prefix = prefix
        self.echo = echo
        self.opus_pt = opus_pt
        self.sources = {}
        self.not_rtp = 0
        self.echo_errors = 0
        self.snapshots = 0

    def snapshot(self, *_):
        self.snapshots += 1
        body = {
            "at": time.monotonic(),
            "not_rtp": self.not_rtp,
            "echo_errors": self.echo_errors,
            "sources": {f"{a[0]}:{a[1]}": s.as_dict() for a, s in self.sources.items()},
        }
        path = f"{self.prefix}-{self.snapshots}.json"
        with open(path + ".tmp", "w") as f:
            json.dump(body, f)
        os.replace(path + ".tmp", path)

    def run(self):
        buf = bytearray(2048)
        view = memoryview(buf)
        sources = self.sources
        recv, send = self.sock.recvfrom_into, self.sock.sendto
        while True:
            n, addr = recv(buf)
            now = time.monotonic()
            packet = bytes(view[:n])
            if self.echo:
                try:
                    send(packet, addr)
                except OSError:
                    self.echo_errors += 1
            parsed = payload_of(packet)
            if parsed is None:
                self.not_rtp += 1
                continue
            pt, seq, ts, payload = parsed
            s = sources.get(addr)
            if s is None:
                s = sources[addr] = Source(now)
            self.count(s, pt, seq, ts, payload, now)

    def count(self, s, pt, seq, ts, payload, now):
        s.packets += 1
        s.bytes += len(payload)
        s.pts[pt] = s.pts.get(pt, 0) + 1
        s.last_at = now
        if not payload:
            s.empty += 1
        elif pt == self.opus_pt:
            if opus_packet_tenths_ms(payload) != 200:
                s.not_20ms += 1
            config = payload[0] >> 3
            s.opus_configs[config] = s.opus_configs.get(config, 0) + 1
        elif pt in (0, 8) and g711_silent(payload):
            s.silent += 1
        if s.last_seq is not None:
            step = (seq - s.last_seq) & 0xFFFF
            if 1 < step < 0x8000:  # forward jump: packets missing
                s.seq_gaps += step - 1
            if 0 < step < 0x8000:
                want = step * frame_ticks(pt, self.opus_pt)
                if (ts - s.last_ts) & 0xFFFFFFFF != want:
                    s.ts_odd += 1
        if s.last_seq is None or 0 < ((seq - s.last_seq) & 0xFFFF) < 0x8000:
            s.last_seq, s.last_ts = seq, ts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--snapshots", required=True, help="path prefix of the snapshot files")
    p.add_argument("--echo", action="store_true", help="send every packet back to its source")
    p.add_argument("--opus-pt", type=int, default=111)
    a = p.parse_args()
    sink = Sink(a.port, a.snapshots, a.echo, a.opus_pt)
    signal.signal(signal.SIGUSR1, sink.snapshot)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        sink.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
