//! Mixing for conferences: every participant hears everyone but themselves ("mix-minus").

/// For N inputs, fills each output with the sum of all *other* inputs, saturating to i16.
///
/// Output `i` is cleared and receives as many samples as the longest input (a shorter input
/// counts as silence past its end). An output with no matching input (`i >= inputs.len()`)
/// gets the sum of every input — a listen-only participant. Inputs without a matching output
/// are mixed into the others but produce nothing themselves.
///
/// Sums are taken in i32 and clamped once per output sample, so two loud talkers saturate
/// instead of wrapping around. No allocation beyond growing the outputs.
pub fn mix_minus(inputs: &[&[i16]], outputs: &mut [Vec<i16>]) {
    let len = inputs.iter().map(|s| s.len()).max().unwrap_or(0);
    for out in outputs.iter_mut() {
        out.clear();
        out.reserve(len);
    }
    let sample = |input: &[i16], t: usize| input.get(t).copied().map_or(0, i32::from);
    for t in 0..len {
        let total: i32 = inputs.iter().map(|input| sample(input, t)).sum();
        for (i, out) in outputs.iter_mut().enumerate() {
            let own = inputs.get(i).map_or(0, |input| sample(input, t));
            out.push(saturate(total - own));
        }
    }
}

fn saturate(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_output_is_the_sum_of_the_others() {
        let a = [1i16, 2, 3];
        let b = [10i16, 20, 30];
        let c = [100i16, 200, 300];
        let mut out = vec![Vec::new(), Vec::new(), Vec::new()];
        mix_minus(&[&a, &b, &c], &mut out);
        assert_eq!(out[0], vec![110, 220, 330]);
        assert_eq!(out[1], vec![101, 202, 303]);
        assert_eq!(out[2], vec![11, 22, 33]);
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let a = [30000i16, -30000];
        let b = [30000i16, -30000];
        let c = [0i16, 0];
        let mut out = vec![Vec::new(); 3];
        mix_minus(&[&a, &b, &c], &mut out);
        assert_eq!(out[2], vec![i16::MAX, i16::MIN]);
        assert_eq!(out[0], vec![30000, -30000]);
    }

    #[test]
    fn ragged_lengths_and_listen_only_outputs() {
        let a = [1i16, 1, 1, 1];
        let b = [2i16];
        let mut out = vec![vec![99i16; 9], Vec::new(), Vec::new()];
        mix_minus(&[&a, &b], &mut out);
        assert_eq!(out[0], vec![2, 0, 0, 0]);
        assert_eq!(out[1], vec![1, 1, 1, 1]);
        assert_eq!(out[2], vec![3, 1, 1, 1]);
        // Nothing in: outputs emptied, no panic.
        mix_minus(&[], &mut out);
        assert!(out.iter().all(Vec::is_empty));
    }
}
