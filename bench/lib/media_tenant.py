"""The bench tenant's media-server additions: a 30 s prompt and an IVR that
plays it (phase (p)).

The prompt goes in the way an operator's would: `centralita prompt add`
(decoded, converted to the internal 16 kHz WAV, added to the tenant document
by the daemon's own code). A daemon without that command yet gets the file
written here in the internal format (16 kHz mono PCM16 WAV, media contract)
at the path the contract gives, `prompts/<tenant>/<id>.wav`. Then the tenant
document is imported again with the prompt and the IVR.
"""

import json
import math
import os
import re
import shutil
import struct
import subprocess
import wave

from . import tenant

PROMPT_ID = "bench-prompt"
PROMPT_SECONDS = 30
IVR_NUMBER = "9900"
INTERNAL_RATE = 16000
# Below the no-input timeout's cap (300 s, store validation) and far above any
# call of the phase: the callers hear the prompt, never the no-input branch.
NO_INPUT_SECONDS = 300


def prompt_pcm(seconds=PROMPT_SECONDS, rate=INTERNAL_RATE):
    """A prompt that is never silent and not one steady tone: 440 Hz and
    660 Hz alternating every half second at about -12 dBFS, so a capture of a
    run is audible and a silent-payload count means something."""
    out = []
    for n in range(seconds * rate):
        hz = 440 if (n // (rate // 2)) % 2 == 0 else 660
        out.append(int(8000 * math.sin(2 * math.pi * hz * n / rate)))
    return out


def write_prompt_wav(path, seconds=PROMPT_SECONDS):
    pcm = prompt_pcm(seconds)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(INTERNAL_RATE)
        w.writeframes(struct.pack(f"<{len(pcm)}h", *pcm))


def ivr_document(pools, prompt_file):
    doc = tenant.tenant_document(pools)
    doc["prompts"] = [{"id": PROMPT_ID, "name": "Bench prompt", "file": prompt_file}]
    doc["ivrs"] = [
        {
            "id": "bench-ivr",
            "name": "Bench IVR",
            "number": IVR_NUMBER,
            "prompt": PROMPT_ID,
            "allow_extensions": False,
            "options": {},
            "no_input": {"kind": "hangup"},
            "no_input_seconds": NO_INPUT_SECONDS,
        }
    ]
    return doc


def add_prompt(binary, data_dir, upload_path, log_path, timeout_s=120):
    """`centralita prompt add`; returns the stored relative path, or None when
    this build has no such command (anything else failing is an error)."""
    args = [binary, "prompt", "add", "--data", data_dir, "--tenant", str(tenant.TENANT_ID)]
    args += ["--id", PROMPT_ID, "--name", "Bench prompt", upload_path]
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False)
    with open(log_path, "w") as f:
        f.write(out.stdout + out.stderr)
    if out.returncode != 0:
        if any(m in out.stderr for m in ("unrecognized subcommand", "invalid choice: 'prompt'")):
            return None
        raise RuntimeError(
            f"`centralita prompt add` failed ({out.returncode}): {out.stderr[-400:]}"
        )
    found = re.search(r"stored as (\S+)", out.stdout)
    return found.group(1) if found else f"prompts/{tenant.TENANT_ID}/{PROMPT_ID}.wav"


def prepare_ivr(binary, data_dir, workdir, pools, import_tenant):
    """Puts the prompt and the IVR in the store (before any daemon starts).
    Returns how the prompt got there, for the report. `import_tenant(doc
    path, log path)` imports a tenant document."""
    upload = os.path.join(workdir, f"{PROMPT_ID}.wav")
    write_prompt_wav(upload)
    stored = add_prompt(binary, data_dir, upload, os.path.join(workdir, "prompt_add.log"))
    how = f"uploaded with `centralita prompt add` as {stored}"
    if stored is None:
        stored = f"prompts/{tenant.TENANT_ID}/{PROMPT_ID}.wav"
        os.makedirs(os.path.dirname(os.path.join(data_dir, stored)), exist_ok=True)
        shutil.copyfile(upload, os.path.join(data_dir, stored))
        how = f"written by the bench as {stored} (this build has no `centralita prompt add`)"
    doc_path = os.path.join(workdir, "bench-tenant-ivr.json")
    with open(doc_path, "w") as f:
        json.dump(ivr_document(pools, stored), f, indent=1)
    import_tenant(doc_path, os.path.join(workdir, "import_ivr.log"))
    return how
