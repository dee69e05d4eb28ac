"""Unit tests of the bench's parsers and generators (no SIPp, no daemon):
    python3 -m unittest discover -s bench/selftest
The end-to-end check of the bench itself is the fake box (README)."""

import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import procstat, scenarios, sipp, tenant  # noqa: E402

# Shapes copied from real SIPp 3.6.1 screen dumps of this bench.
STREAM_DUMP = (
    "  3 open sockets                          0/0/0 UDP errors (send/recv/cong)\n"
    "  0 Total RTP pckts sent                  0.000 last period RTP rate (kB/s)\n"
    "  3271 Total RTP pckts sent               40.793 kB/s RTP OUT\n"
    "  1 RTP sending threads active            0.000 kB/s RTP IN\n"
)
ECHO_DUMP = (
    "  0 Total RTP pckts sent                  0.000 last period RTP rate (kB/s)\n"
    "  3271 Total echo RTP pckts 1st stream    34.11268 last period RTP rate (kB/s)\n"
    "  0 Total echo RTP pckts 2nd stream       0.000 last period RTP rate (kB/s)\n"
)


class ScreenCounters(unittest.TestCase):
    def test_stream_counter_is_not_the_pcap_one(self):
        self.assertEqual(sipp.STREAM_RE.findall(STREAM_DUMP), ["3271"])

    def test_echo_counter(self):
        self.assertEqual(sipp.ECHO_RE.findall(ECHO_DUMP), ["3271"])

    def test_line_cut_by_a_partial_flush_never_matches(self):
        cut = ECHO_DUMP[: ECHO_DUMP.index("3271") + 2]  # "  32" and nothing more
        self.assertEqual(sipp.ECHO_RE.findall(cut), [])
        cut = STREAM_DUMP[: STREAM_DUMP.index("kB/s RTP OUT")]
        self.assertEqual(sipp.STREAM_RE.findall(cut), [])


class StatCsv(unittest.TestCase):
    def test_run_seconds_from_epochs(self):
        stats = {
            "StartTime": "2026-11-25\t20:11:33.229740\t1795637493.229740",
            "CurrentTime": "2026-11-25\t20:11:33.830048\t1795637493.830048",
            "ElapsedTime(C)": "00:00:00",
        }
        self.assertAlmostEqual(sipp.run_seconds(stats), 0.600308, places=5)

    def test_run_seconds_falls_back_to_elapsed(self):
        self.assertEqual(sipp.run_seconds({"ElapsedTime(C)": "00:01:02"}), 62)
        self.assertEqual(sipp.run_seconds({"ElapsedTime(C)": "00:00:01:500000"}), 1.5)

    def test_stat_int_tolerates_junk(self):
        self.assertEqual(sipp.stat_int({"a": "12"}, "a"), 12)
        self.assertEqual(sipp.stat_int({"a": ""}, "a"), 0)
        self.assertEqual(sipp.stat_int({"a": "x"}, "a"), 0)
        self.assertEqual(sipp.stat_int({}, "a"), 0)


class Tenant(unittest.TestCase):
    def test_ulaw_reference_points(self):
        # G.711 mu-law: silence 0xFF, full scale 0x80 / 0x00
        self.assertEqual(tenant.linear_to_ulaw(0), 0xFF)
        self.assertEqual(tenant.linear_to_ulaw(32767), 0x80)
        self.assertEqual(tenant.linear_to_ulaw(-32768), 0x00)
        self.assertEqual(tenant.linear_to_ulaw(-1), 0x7F)

    def test_document_and_csv_agree(self):
        pools = tenant.make_pools(3, 2, 2)
        doc = tenant.tenant_document(pools)
        exts = [u["extension"] for u in doc["users"]]
        self.assertEqual(len(exts), len(set(exts)))
        self.assertEqual(doc["tenant"]["max_extensions"], 7)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.csv")
            tenant.write_calls_csv(path, [(5000, 7000)])
            with open(path) as f:
                lines = f.read().splitlines()
        user = tenant.sip_username(5000)
        self.assertEqual(lines[0], "SEQUENTIAL")
        self.assertEqual(
            lines[1],
            f"{user};[authentication username={user} password={tenant.sip_password(5000)}];7000;",
        )

    def test_pools_refuse_overlap(self):
        with self.assertRaises(ValueError):
            tenant.make_pools(4001, 1, 1)


class Scenarios(unittest.TestCase):
    def test_every_placeholder_is_filled(self):
        with tempfile.TemporaryDirectory() as d:
            path = scenarios.render("caller_stream", d, audio_file="/a", stream_ms=1, settle_ms=2)
            with open(path) as f:
                self.assertIsNone(re.search(r"@[A-Z_]+@", f.read()))
            with self.assertRaises(scenarios.ScenarioError):
                scenarios.render("caller_echo", d)


class Proc(unittest.TestCase):
    def test_own_process(self):
        s = procstat.sample(os.getpid())
        self.assertGreater(s.rss_kb, 0)
        self.assertGreaterEqual(s.threads, 1)

    def test_drops_in_range(self):
        self.assertEqual(procstat.drops_in({10: 1, 20: 2, 30: 4}, 15, 30), 6)


if __name__ == "__main__":
    unittest.main()
