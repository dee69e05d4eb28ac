use super::*;
use crate::dsp::tone::sine;

#[test]
fn rms_of_a_sine_reads_its_level() {
    for &l in &[0.0f32, -3.0, -18.0, -45.0] {
        let got = rms_dbfs(&sine(1000.0, l, 8000, 8000));
        assert!((got - l).abs() < 0.05, "{l}: {got}");
    }
}

#[test]
fn rms_of_silence_and_empty_is_the_floor() {
    assert_eq!(rms_dbfs(&[]), FLOOR_DBFS);
    assert_eq!(rms_dbfs(&[0; 160]), FLOOR_DBFS);
    assert!(rms_dbfs(&[i16::MIN; 160]).is_finite());
}

#[test]
fn silence_detector_waits_for_the_hold_time() {
    let mut d = SilenceDetector::new(8000, VOICEMAIL_SILENCE_DBFS, Duration::from_secs(2));
    let speech = sine(300.0, -20.0, 8000, 160);
    let quiet = sine(300.0, -60.0, 8000, 160);
    for _ in 0..50 {
        assert!(!d.push(&speech));
    }
    // 1.98 s of quiet in 20 ms frames: not yet.
    for _ in 0..99 {
        assert!(!d.push(&quiet));
    }
    assert!(d.push(&quiet));
    // Any sound restarts the count.
    assert!(!d.push(&speech));
    assert!(!d.push(&quiet));
    d.reset();
    assert!(!d.is_silent());
}

#[test]
fn silence_detector_carries_partial_blocks_between_calls() {
    let mut d = SilenceDetector::new(16000, -45.0, Duration::from_millis(100));
    // 7-sample pushes never align with the 160-sample block.
    let mut pushes = 0;
    while !d.push(&[3; 7]) {
        pushes += 1;
        assert!(pushes < 1000);
    }
    assert!((pushes + 1) * 7 >= 1600);
}
