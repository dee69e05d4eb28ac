"""Unit tests of the media-server phases' pieces (no SIPp, no daemon): the
RTP sink's parsing and counting, snapshot windows, the prompt and the IVR."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import media_levels, media_tenant, rtp_sink, sink_client, tenant  # noqa: E402
from lib.scenarios import render  # noqa: E402


def rtp(pt, seq, ts, payload, csrc=0, ext_words=None, pad=0):
    b0 = 0x80 | csrc | (0x10 if ext_words is not None else 0) | (0x20 if pad else 0)
    head = bytes([b0, pt]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big") + b"\0\0\0\7"
    head += b"\0\0\0\1" * csrc
    if ext_words is not None:
        head += b"\xbe\xde" + ext_words.to_bytes(2, "big") + b"\0" * 4 * ext_words
    tail = (b"\0" * (pad - 1) + bytes([pad])) if pad else b""
    return head + payload + tail


class OpusToc(unittest.TestCase):
    def test_durations_from_rfc6716_table(self):
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([1 << 3])), 200)  # SILK NB 20 ms
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([15 << 3])), 200)  # hybrid FB 20 ms
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([31 << 3])), 200)  # CELT FB 20 ms
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([30 << 3])), 100)  # CELT 10 ms
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([(30 << 3) | 1])), 200)  # 2 x 10
        self.assertEqual(rtp_sink.opus_packet_tenths_ms(bytes([(28 << 3) | 3, 8])), 200)  # 8 x 2.5
        self.assertIsNone(rtp_sink.opus_packet_tenths_ms(bytes([(28 << 3) | 3])))
        self.assertIsNone(rtp_sink.opus_packet_tenths_ms(b""))


class RtpParsing(unittest.TestCase):
    def test_header_parts_are_skipped(self):
        p = rtp_sink.payload_of(rtp(111, 5, 960, b"abc", csrc=2, ext_words=1, pad=3))
        self.assertEqual(p, (111, 5, 960, b"abc"))

    def test_not_rtp(self):
        self.assertIsNone(rtp_sink.payload_of(b"\x00" * 20))
        self.assertIsNone(rtp_sink.payload_of(b"\x80\x00"))
        # a header extension announced but cut off
        self.assertIsNone(rtp_sink.payload_of(rtp(0, 1, 1, b"", ext_words=2)[:14]))
        # padding longer than the packet
        bad = bytearray(rtp(0, 1, 1, b"ab"))
        bad[0] |= 0x20
        bad[-1] = 200
        self.assertIsNone(rtp_sink.payload_of(bytes(bad)))

    def test_g711_silence(self):
        self.assertTrue(rtp_sink.g711_silent(b"\xff\x7f" * 80))
        self.assertFalse(rtp_sink.g711_silent(b"\xff" * 159 + b"\x10"))


class Counting(unittest.TestCase):
    def sink(self):
        s = rtp_sink.Sink.__new__(rtp_sink.Sink)
        s.opus_pt, s.sources = 111, {}
        return s

    def test_gaps_and_timestamps(self):
        sink, src = self.sink(), rtp_sink.Source(0.0)
        for seq in (10, 11, 13, 14):  # 12 lost
            pkt = rtp_sink.payload_of(rtp(111, seq, seq * 960, bytes([31 << 3]) + b"x"))
            sink.count(src, *pkt, now=1.0)
        self.assertEqual((src.packets, src.seq_gaps, src.ts_odd, src.not_20ms), (4, 1, 0, 0))
        pkt = rtp_sink.payload_of(rtp(111, 15, 99, b""))
        sink.count(src, *pkt, now=1.0)
        self.assertEqual((src.empty, src.ts_odd), (1, 1))

    def test_sequence_wraps(self):
        sink, src = self.sink(), rtp_sink.Source(0.0)
        for i, seq in enumerate((65534, 65535, 0, 1)):
            ts = (0xFFFFFF00 + i * 160) & 0xFFFFFFFF  # the timestamp wraps too
            sink.count(src, *rtp_sink.payload_of(rtp(0, seq, ts, b"\x10")), now=0.0)
        self.assertEqual((src.seq_gaps, src.ts_odd), (0, 0))


class Windows(unittest.TestCase):
    def test_window_counts_only_what_arrived_inside(self):
        s = {"packets": 10, "bytes": 100, "pts": {"111": 10}, "empty": 0, "silent": 0}
        s.update({"not_20ms": 0, "seq_gaps": 0, "ts_odd": 0})
        later = dict(s, packets=510, bytes=5100, pts={"111": 510})
        new = dict(s, packets=500, bytes=5000, pts={"111": 500})
        a = {"at": 0.0, "not_rtp": 0, "sources": {"x:1": s}}
        b = {"at": 10.0, "not_rtp": 0, "sources": {"x:1": later, "x:2": new}}
        w = sink_client.window(a, b)
        self.assertEqual((w.sources, w.packets, w.pts), (2, 1000, {"111": 1000}))
        self.assertAlmostEqual(w.rate_per_source, 50.0)
        m = sink_client.merge([w, w])
        self.assertEqual((m.sources, m.packets, m.rate_quantile(0.5)), (4, 2000, 50.0))


class MediaSetup(unittest.TestCase):
    def test_split(self):
        self.assertEqual(media_levels.split(200, 100), [100, 100])
        self.assertEqual(media_levels.split(50, 100), [50])
        self.assertEqual(media_levels.split(150, 100), [75, 75])

    def test_prompt_is_30_s_at_16_khz_never_silent(self):
        pcm = media_tenant.prompt_pcm()
        self.assertEqual(len(pcm), 30 * 16000)
        self.assertTrue(
            all(max(map(abs, pcm[i : i + 320])) > 1000 for i in range(0, len(pcm), 320))
        )

    def test_ivr_document(self):
        doc = media_tenant.ivr_document(tenant.make_pools(10, 10, 10), "prompts/77001/x.wav")
        self.assertEqual(doc["ivrs"][0]["prompt"], doc["prompts"][0]["id"])
        self.assertEqual(doc["ivrs"][0]["number"], media_tenant.IVR_NUMBER)

    def test_scenarios_render(self):
        with tempfile.TemporaryDirectory() as d:
            with open(render("callee_opus", d, sink_port=28001)) as f:
                opus = f.read()
            with open(render("caller_prompt", d, sink_port=28002, hold_ms=1000)) as f:
                prompt = f.read()
        self.assertIn("m=audio 28001 RTP/AVP 111\na=rtpmap:111 opus/48000/2", opus)
        self.assertIn("m=audio 28002 RTP/AVP 0\n", prompt)
        self.assertIn('<pause milliseconds="1000"/>', prompt)


if __name__ == "__main__":
    unittest.main()
