#!/usr/bin/env python3
"""A deliberately tiny stand-in for the Centralita daemon, to check the bench
itself (scenarios, counters, report) without the real box: SIP over UDP with
digest MD5 challenges (401 for REGISTER, 407 for INVITE), a registrar, a
B2BUA that opens a new dialog towards the callee, and a symmetric RTP relay.
It speaks the same CLI as the daemon for what the bench uses (`import`,
`run ... ` printing `centralita ready sip=...`). It is slow (Python) and
knows nothing of retransmissions, CANCEL or errors: a bench fixture only,
never a reference for the product.
"""

import hashlib
import json
import os
import random
import re
import selectors
import signal
import socket
import sys

REALM = "centralita"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers, body.decode(errors="replace")


def hdr(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


def auth_params(value):
    return dict(re.findall(r'(\w+)="?([^",]*)"?', value or ""))


class Box:
    def __init__(self, data_dir, sip):
        with open(os.path.join(data_dir, "fake-tenant.json")) as f:
            doc = json.load(f)
        tid = doc["tenant"]["id"]
        self.passwords = {f"ext{tid}{u['extension']}": u["sip_password"] for u in doc["users"]}
        self.ext_of = {f"ext{tid}{u['extension']}": u["extension"] for u in doc["users"]}
        self.bindings = {}  # extension -> (host, port)
        host, port = sip.rsplit(":", 1)
        self.addr = (host, int(port))
        self.sel = selectors.DefaultSelector()
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(self.addr)
        self.sel.register(self.sip, selectors.EVENT_READ, self.on_sip)
        self.calls = {}  # call-id (either leg) -> Call
        self.nonces = set()

    def send(self, text, to):
        self.sip.sendto(text.encode(), to)

    def reply(self, headers, code, reason, to, extra="", body="", tag=None):
        lines = [f"SIP/2.0 {code} {reason}"]
        for name in ("via", "from", "to", "call-id", "cseq"):
            for n, v in headers:
                if n == name:
                    if name == "to" and tag and ";tag=" not in v:
                        v += f";tag={tag}"
                    lines.append(f"{name.title()}: {v}")
        msg = "\r\n".join(lines) + "\r\n" + extra
        msg += f"Content-Length: {len(body)}\r\n\r\n{body}"
        self.send(msg, to)

    def challenge(self, headers, to, code):
        nonce = "%032x" % random.getrandbits(128)
        self.nonces.add(nonce)
        name = "WWW-Authenticate" if code == 401 else "Proxy-Authenticate"
        reason = "Unauthorized" if code == 401 else "Proxy Authentication Required"
        self.reply(
            headers,
            code,
            reason,
            to,
            tag="fb",
            extra=f'{name}: Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"\r\n',
        )

    def authorized(self, method, headers, name):
        p = auth_params(hdr(headers, name))
        user = p.get("username")
        if not user or user not in self.passwords or p.get("nonce") not in self.nonces:
            return None
        ha1 = md5(f"{user}:{REALM}:{self.passwords[user]}")
        ha2 = md5(f"{method}:{p.get('uri')}")
        want = md5(f"{ha1}:{p['nonce']}:{p.get('nc')}:{p.get('cnonce')}:{p.get('qop')}:{ha2}")
        if want != p.get("response"):
            return None
        self.nonces.discard(p["nonce"])
        return user

    def on_sip(self, sock):
        data, src = sock.recvfrom(65535)
        start, headers, body = parse(data)
        if start.startswith("SIP/2.0"):
            self.on_response(int(start.split()[1]), headers, body)
            return
        method = start.split()[0]
        cid = hdr(headers, "call-id")
        if method == "REGISTER":
            user = self.authorized("REGISTER", headers, "authorization")
            if not user:
                return self.challenge(headers, src, 401)
            m = re.search(r"sip:[^@>]*@?([\d.]+):(\d+)", hdr(headers, "contact") or "")
            self.bindings[self.ext_of[user]] = (m.group(1), int(m.group(2))) if m else src
            self.reply(
                headers,
                200,
                "OK",
                src,
                tag="fb",
                extra=f"Contact: {hdr(headers, 'contact')};expires=3600\r\n",
            )
        elif method == "INVITE" and cid not in self.calls:
            user = self.authorized("INVITE", headers, "proxy-authorization")
            if not user:
                return self.challenge(headers, src, 407)
            dialled = re.search(r"sip:([^@]+)@", start).group(1)
            if dialled not in self.bindings:
                return self.reply(headers, 480, "Temporarily Unavailable", src, tag="fb")
            self.reply(headers, 100, "Trying", src)
            Call(self, headers, body, src, self.bindings[dialled])
        elif method == "ACK":
            return
        elif method == "BYE" and cid in self.calls:
            self.calls[cid].bye(cid, headers, src)
        else:
            self.reply(headers, 200 if method == "OPTIONS" else 481, "OK", src, tag="fb")

    def on_response(self, code, headers, body):
        call = self.calls.get(hdr(headers, "call-id"))
        if call:
            call.on_response(code, headers, body)

    def serve(self):
        print(f"centralita ready sip={self.addr[0]}:{self.addr[1]}", flush=True)
        while True:
            for key, _ in self.sel.select():
                key.data(key.fileobj)


class Call:
    """One bridged call: leg a (caller, its own dialog) and leg b (to the callee)."""

    def __init__(self, box, headers, body, caller, callee):
        self.box, self.a_headers, self.caller, self.callee = box, headers, caller, callee
        self.a_cid = hdr(headers, "call-id")
        self.b_cid = "%016x@fakebox" % random.getrandbits(64)
        box.calls[self.a_cid] = box.calls[self.b_cid] = self
        self.rtp_a, self.rtp_b = self.socket(), self.socket()
        self.peer_a = self.sdp_addr(body)  # where the caller wants media
        self.peer_b = None
        self.b_to = None
        host, port = box.addr
        self.b_from = f"<sip:box@{host}:{port}>;tag=b{random.getrandbits(32):x}"
        box.send(
            f"INVITE sip:callee@{callee[0]}:{callee[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{random.getrandbits(48):x}\r\n"
            f"From: {self.b_from}\r\nTo: <sip:callee@{callee[0]}:{callee[1]}>\r\n"
            f"Call-ID: {self.b_cid}\r\nCSeq: 1 INVITE\r\nContact: <sip:box@{host}:{port}>\r\n"
            + self.sdp(self.rtp_b),
            callee,
        )

    def socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        self.box.sel.register(s, selectors.EVENT_READ, self.on_rtp)
        return s

    @staticmethod
    def sdp_addr(body):
        ip = re.search(r"c=IN IP4 ([\d.]+)", body)
        port = re.search(r"m=audio (\d+)", body)
        return (ip.group(1), int(port.group(1))) if ip and port else None

    def sdp(self, sock):
        port = sock.getsockname()[1]
        body = (
            f"v=0\r\no=box 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        return f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"

    def on_rtp(self, sock):
        data, src = sock.recvfrom(2048)
        if sock is self.rtp_a:
            self.peer_a = src  # latch
            if self.peer_b:
                self.rtp_b.sendto(data, self.peer_b)
        else:
            self.peer_b = src
            if self.peer_a:
                self.rtp_a.sendto(data, self.peer_a)

    def on_response(self, code, headers, body):
        if hdr(headers, "cseq").endswith("BYE"):
            return self.close()
        if code == 180:
            self.box.reply(self.a_headers, 180, "Ringing", self.caller, tag="fa")
        elif code == 200:
            self.b_to = hdr(headers, "to")
            self.peer_b = self.peer_b or self.sdp_addr(body)
            host, port = self.box.addr
            self.box.send(
                f"ACK sip:callee@{self.callee[0]}:{self.callee[1]} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{random.getrandbits(48):x}\r\n"
                f"From: {self.b_from}\r\nTo: {self.b_to}\r\nCall-ID: {self.b_cid}\r\n"
                f"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                self.callee,
            )
            sdp = self.sdp(self.rtp_a)
            extra, _, body = sdp.partition("Content-Length")
            self.box.reply(
                self.a_headers,
                200,
                "OK",
                self.caller,
                tag="fa",
                extra=f"Contact: <sip:box@{host}:{port}>\r\n" + extra,
                body=sdp.split("\r\n\r\n", 1)[1],
            )

    def bye(self, cid, headers, src):
        self.box.reply(headers, 200, "OK", src)
        host, port = self.box.addr
        self.box.send(
            f"BYE sip:callee@{self.callee[0]}:{self.callee[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{random.getrandbits(48):x}\r\n"
            f"From: {self.b_from}\r\nTo: {self.b_to}\r\nCall-ID: {self.b_cid}\r\n"
            f"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
            self.callee,
        )

    def close(self):
        for s in (self.rtp_a, self.rtp_b):
            self.box.sel.unregister(s)
            s.close()
        self.box.calls.pop(self.a_cid, None)
        self.box.calls.pop(self.b_cid, None)


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    opts = dict(zip(argv[1::2], argv[2::2]))
    if argv[0] == "import":
        data, doc = argv[2], argv[3]
        with open(doc) as f, open(os.path.join(data, "fake-tenant.json"), "w") as out:
            out.write(f.read())
        return 0
    if argv[0] == "run":
        Box(opts["--data"], opts["--sip"]).serve()
    # Worded like the daemon's CLI (clap), which the bench recognises.
    print(f"error: unrecognized subcommand '{argv[0]}'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
