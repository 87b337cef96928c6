//! What `make eval` reports about a classifier beyond accuracy: the confusion
//! matrix and macro-F1 (a category the model never gets right counts as much as a
//! common one), the expected calibration error (does "0.8 sure" mean right 8 times
//! in 10?), and the coverage/accuracy curve of abstaining below a confidence.

/// One prediction: the true class, the predicted class and the confidence given.
#[derive(Debug, Clone, Copy)]
pub struct Prediction {
    pub truth: usize,
    pub predicted: usize,
    pub confidence: f32,
}

/// `matrix[truth][predicted]` counts.
pub fn confusion(predictions: &[Prediction], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for p in predictions {
        m[p.truth][p.predicted] += 1;
    }
    m
}

/// Mean over classes that occur (in truth or prediction) of F1 = 2PR/(P+R).
pub fn macro_f1(matrix: &[Vec<usize>]) -> f64 {
    let n = matrix.len();
    let mut sum = 0.0;
    let mut counted = 0;
    for c in 0..n {
        let tp = matrix[c][c] as f64;
        let actual: usize = matrix[c].iter().sum();
        let predicted: usize = matrix.iter().map(|row| row[c]).sum();
        if actual == 0 && predicted == 0 {
            continue;
        }
        counted += 1;
        if tp > 0.0 {
            let (p, r) = (tp / predicted as f64, tp / actual as f64);
            sum += 2.0 * p * r / (p + r);
        }
    }
    if counted == 0 {
        0.0
    } else {
        sum / counted as f64
    }
}

/// Expected calibration error over `bins` equal-width confidence bins: the
/// example-weighted mean gap between a bin's accuracy and its mean confidence.
pub fn expected_calibration_error(predictions: &[Prediction], bins: usize) -> f64 {
    let mut count = vec![0usize; bins];
    let mut correct = vec![0usize; bins];
    let mut confidence = vec![0f64; bins];
    for p in predictions {
        let b = ((p.confidence.clamp(0.0, 1.0) as f64 * bins as f64) as usize).min(bins - 1);
        count[b] += 1;
        confidence[b] += p.confidence as f64;
        if p.truth == p.predicted {
            correct[b] += 1;
        }
    }
    let n = predictions.len().max(1) as f64;
    (0..bins)
        .filter(|b| count[*b] > 0)
        .map(|b| {
            let k = count[b] as f64;
            (k / n) * (correct[b] as f64 / k - confidence[b] / k).abs()
        })
        .sum()
}

/// One point of the abstention curve: answering only at or above `threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoveragePoint {
    pub threshold: f32,
    /// Share of all examples answered.
    pub coverage: f64,
    /// Accuracy on the answered ones (1.0 when none are).
    pub accuracy: f64,
}

pub fn coverage_curve(predictions: &[Prediction], thresholds: &[f32]) -> Vec<CoveragePoint> {
    let n = predictions.len().max(1) as f64;
    thresholds
        .iter()
        .map(|&threshold| {
            let answered: Vec<&Prediction> = predictions.iter().filter(|p| p.confidence >= threshold).collect();
            let right = answered.iter().filter(|p| p.truth == p.predicted).count();
            CoveragePoint {
                threshold,
                coverage: answered.len() as f64 / n,
                accuracy: if answered.is_empty() { 1.0 } else { right as f64 / answered.len() as f64 },
            }
        })
        .collect()
}

/// The 95 % Wilson score interval of a proportion `hits / n`: how far a figure measured on a
/// small set (eleven photographs) can be trusted. `(0, 1)` when `n` is 0.
pub fn wilson_interval(hits: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n_f) = (1.959964, n as f64);
    let p = hits as f64 / n_f;
    let centre = p + z * z / (2.0 * n_f);
    let spread = z * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt();
    let denominator = 1.0 + z * z / n_f;
    (((centre - spread) / denominator).max(0.0), ((centre + spread) / denominator).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(truth: usize, predicted: usize, confidence: f32) -> Prediction {
        Prediction { truth, predicted, confidence }
    }

    #[test]
    fn macro_f1_weighs_every_class_alike() {
        // Class 0: 8 right; class 1: 2 examples, both called 0.
        let mut ps: Vec<Prediction> = (0..8).map(|_| p(0, 0, 0.9)).collect();
        ps.extend([p(1, 0, 0.9), p(1, 0, 0.9)]);
        let m = confusion(&ps, 2);
        assert_eq!(m, vec![vec![8, 0], vec![2, 0]]);
        // F1(0) = 2·0.8·1/1.8 = 0.889, F1(1) = 0 → 0.444, while accuracy is 0.8.
        assert!((macro_f1(&m) - 0.4444).abs() < 1e-3);
    }

    #[test]
    fn an_overconfident_model_has_a_large_calibration_error_and_an_honest_one_none() {
        // Always 0.99 sure, right half the time: ECE ≈ 0.49.
        let over: Vec<Prediction> = (0..100).map(|i| p(0, i % 2, 0.99)).collect();
        assert!((expected_calibration_error(&over, 10) - 0.49).abs() < 1e-6);
        // 0.5 sure and right half the time: 0.
        let honest: Vec<Prediction> = (0..100).map(|i| p(0, i % 2, 0.5)).collect();
        assert!(expected_calibration_error(&honest, 10) < 1e-9);
    }

    #[test]
    fn abstaining_below_a_threshold_trades_coverage_for_accuracy() {
        let ps = [p(0, 0, 0.9), p(0, 0, 0.8), p(0, 1, 0.4), p(0, 1, 0.3)];
        let c = coverage_curve(&ps, &[0.0, 0.5, 0.95]);
        assert_eq!((c[0].coverage, c[0].accuracy), (1.0, 0.5));
        assert_eq!((c[1].coverage, c[1].accuracy), (0.5, 1.0));
        assert_eq!((c[2].coverage, c[2].accuracy), (0.0, 1.0));
    }

    #[test]
    fn wilson_intervals_are_wide_on_eleven_images_and_narrow_on_many() {
        let close = |(a, b): (f64, f64), (x, y): (f64, f64)| (a - x).abs() < 0.001 && (b - y).abs() < 0.001;
        assert!(close(wilson_interval(9, 11), (0.523, 0.949)), "{:?}", wilson_interval(9, 11));
        assert!(close(wilson_interval(11, 11), (0.741, 1.0)), "{:?}", wilson_interval(11, 11));
        assert!(close(wilson_interval(0, 11), (0.0, 0.259)), "{:?}", wilson_interval(0, 11));
        assert!(close(wilson_interval(80, 100), (0.711, 0.867)), "{:?}", wilson_interval(80, 100));
        assert_eq!(wilson_interval(0, 0), (0.0, 1.0));
    }
}
