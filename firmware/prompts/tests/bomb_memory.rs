//! A decompression bomb is refused with bounded memory. Its own test
//! binary (one test) so the peak-RSS reading is not disturbed by other tests.
#![allow(clippy::unwrap_used)] // tests may unwrap

use prompts::{decode_upload, ImportError, Limits};

/// Peak resident set size of this process, in KB (Linux).
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn unknown_length_bomb_stops_at_the_limit_with_bounded_memory() {
    let mut bomb = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bomb.flac"
    ))
    .unwrap();
    // Total samples "unknown": only the check while decoding can stop it.
    bomb[21] &= 0xF0;
    bomb[22..26].fill(0);
    let before = peak_rss_kb();
    // 120 s rather than the default 600 s keeps the debug-build test short; the point is
    // that decoding stops at the limit instead of inflating the whole 2 hours first.
    let limits = Limits {
        max_seconds: 120,
        ..Limits::default()
    };
    let e = decode_upload(&bomb, Some("bomb.flac"), &limits).unwrap_err();
    assert!(
        matches!(e, ImportError::TooLong { limit_seconds: 120 }),
        "{e:?}"
    );
    let grown = peak_rss_kb().saturating_sub(before);
    // The 2 hours would be 115 MB at 8 kHz (230 MB at 16 kHz); what is kept is at most
    // the limit at 16 kHz (3.8 MB here) plus decoder buffers.
    eprintln!("peak RSS grew by {grown} KB");
    assert!(grown < 24 * 1024, "peak RSS grew by {grown} KB");
}

/// Time to refuse the bomb at the default 600 s limit. Run with
/// `cargo test -p prompts --release --test bomb_memory -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_bomb_refusal_at_default_limit() {
    let mut bomb = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bomb.flac"
    ))
    .unwrap();
    bomb[21] &= 0xF0;
    bomb[22..26].fill(0);
    let start = std::time::Instant::now();
    let e = decode_upload(&bomb, None, &Limits::default()).unwrap_err();
    println!("{e} after {:?}", start.elapsed());
}
