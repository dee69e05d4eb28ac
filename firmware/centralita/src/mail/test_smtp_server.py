"""Test SMTP server for the mail sender's tests (aiosmtpd, Debian python3-aiosmtpd).

Usage: test_smtp_server.py PORT OUTDIR [--auth USER:PASSWORD] [--starttls CERT KEY] [--tls CERT KEY]

Every accepted message is saved in OUTDIR as <n>.eml, its attachments decoded beside it as
<n>-<i>.bin, and a summary <n>.json written last (atomically) for the test to poll.
Runs until killed.
"""

import asyncio
import email
import email.policy
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Saver:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        raw = envelope.original_content or envelope.content
        base = os.path.join(self.outdir, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        attachments = []
        text = ""
        for i, part in enumerate(msg.walk()):
            if part.is_multipart():
                continue
            if part.get_filename():
                path = "%s-%d.bin" % (base, i)
                with open(path, "wb") as f:
                    f.write(part.get_payload(decode=True))
                attachments.append(
                    {"name": part.get_filename(), "mime": part.get_content_type(), "file": path}
                )
            elif part.get_content_type() == "text/plain":
                text += part.get_content()
        login = getattr(session, "auth_data", None)
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "text": text,
            "attachments": attachments,
            "auth_user": login.decode() if isinstance(login, bytes) else login,
            # STARTTLS sets session.ssl; implicit TLS shows only on the transport.
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(summary, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 OK"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False, auth_data=self.user if ok else None)


def main():
    port = int(sys.argv[1])
    outdir = sys.argv[2]
    args = sys.argv[3:]
    kwargs = {}
    ssl_context = None
    while args:
        flag = args.pop(0)
        if flag == "--auth":
            user, password = args.pop(0).split(":", 1)
            kwargs["authenticator"] = Authenticator(user, password)
            kwargs["auth_require_tls"] = False
        elif flag == "--starttls":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args.pop(0), args.pop(0))
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
        elif flag == "--tls":
            # Implicit TLS (SMTPS, port 465 style): the whole connection is wrapped.
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args.pop(0), args.pop(0))
            ssl_context = context
        else:
            raise SystemExit("unknown flag " + flag)
    controller = Controller(
        Saver(outdir), hostname="127.0.0.1", port=port, ssl_context=ssl_context, **kwargs
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
