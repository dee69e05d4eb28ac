"""A real SMTP server for the end-to-end tests (aiosmtpd, Debian python3-aiosmtpd).

Usage: smtp_sink.py PORT FOLDER

Listens on 127.0.0.1:PORT and, for every message, writes into FOLDER:
  mail-N.eml            the message as received
  mail-N-attK.bin       each attachment, decoded
  mail-N.json           envelope, main headers, text body and the attachment list
The JSON file is written last (through a rename), so its presence means the message
is complete. Runs until its standard input closes (the harness's handle drops) or it
is killed.
"""

import email
import json
import os
import sys
from email import policy

from aiosmtpd.controller import Controller


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class SaveToFolder:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, "mail-%d" % self.count)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        write_atomically(base + ".eml", raw)
        message = email.message_from_bytes(raw, policy=policy.default)
        attachments = []
        for part in message.iter_attachments():
            data = part.get_payload(decode=True) or b""
            path = "%s-att%d.bin" % (base, len(attachments))
            write_atomically(path, data)
            attachments.append(
                {
                    "filename": part.get_filename() or "",
                    "content_type": part.get_content_type(),
                    "path": path,
                    "size": len(data),
                }
            )
        body = message.get_body(preferencelist=("plain", "html"))
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "body": body.get_content() if body is not None else "",
            "attachments": attachments,
        }
        write_atomically(base + ".json", json.dumps(info).encode("utf-8"))
        return "250 Message accepted"


def main():
    port = int(sys.argv[1])
    folder = sys.argv[2]
    controller = Controller(SaveToFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("smtp sink ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
