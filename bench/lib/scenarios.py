"""Fills the @NAME@ placeholders of bench/scenarios/*.xml into a run folder.

SIPp 3.6 has one global call length (-d) for every <pause> without a value,
and a callee instance needs two different ones (its own hold and its
callees' talk time), so durations are written into copies of the scenarios
instead.
"""

import os
import re

SCENARIO_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios"
)
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


class ScenarioError(Exception):
    """A scenario asks for a value the runner did not give."""


def render(name, out_dir, **values):
    """Copy scenarios/<name>.xml into out_dir with @KEY@ replaced by
    values[key.lower()]; returns the new path. The file name carries a tag of
    the values so two renderings of one scenario do not overwrite each other."""
    with open(os.path.join(SCENARIO_DIR, name + ".xml")) as f:
        text = f.read()

    def fill(match):
        key = match.group(1).lower()
        if key not in values:
            raise ScenarioError(f"{name}.xml needs a value for @{match.group(1)}@")
        return str(values[key])

    text = _PLACEHOLDER.sub(fill, text)
    tag = "_".join(f"{k}{v}" for k, v in sorted(values.items()) if k != "audio_file")
    path = os.path.join(out_dir, f"{name}{'_' + tag if tag else ''}.xml")
    # Written once and atomically: several SIPp instances are started on the
    # same rendering, and one must never parse a file another call is
    # rewriting.
    if os.path.exists(path):
        return path
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
