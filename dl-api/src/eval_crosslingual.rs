//! Cross-lingual retrieval of the text model: for each Korean/English furniture phrase pair
//! (`dl-api/eval/crosslingual-pairs.tsv`), is the counterpart the nearest of all the other
//! language's phrases? Measured both ways; `make eval` prints it (target: ≥ 0.90).

use std::path::Path;

/// The pairs file: `Korean<TAB>English` per line, `#` comments.
pub fn read_pairs(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let mut pairs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (ko, en) =
            line.split_once('\t').ok_or_else(|| anyhow::anyhow!("{}: no tab in {line:?}", path.display()))?;
        pairs.push((ko.trim().to_string(), en.trim().to_string()));
    }
    Ok(pairs)
}

pub struct Report {
    /// Share of Korean phrases whose nearest English phrase is their counterpart.
    pub ko_to_en: f64,
    pub en_to_ko: f64,
    /// Korean → English misses: (phrase, what came first instead).
    pub misses: Vec<(String, String)>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `ko[i]` and `en[i]` are a pair's L2-normalised embeddings.
pub fn evaluate(pairs: &[(String, String)], ko: &[Vec<f32>], en: &[Vec<f32>]) -> Report {
    let nearest = |v: &[f32], others: &[Vec<f32>]| {
        others
            .iter()
            .enumerate()
            .max_by(|a, b| dot(v, a.1).total_cmp(&dot(v, b.1)))
            .map(|(j, _)| j)
            .unwrap_or(usize::MAX)
    };
    let n = pairs.len().max(1) as f64;
    let mut misses = Vec::new();
    let mut ko_hits = 0;
    for (i, v) in ko.iter().enumerate() {
        let j = nearest(v, en);
        if j == i {
            ko_hits += 1;
        } else {
            misses.push((pairs[i].0.clone(), pairs.get(j).map(|p| p.1.clone()).unwrap_or_default()));
        }
    }
    let en_hits = en.iter().enumerate().filter(|(i, v)| nearest(v, ko) == *i).count();
    Report { ko_to_en: f64::from(ko_hits) / n, en_to_ko: en_hits as f64 / n, misses }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hits_both_ways_and_names_the_misses() {
        let pairs: Vec<(String, String)> =
            [("소파", "sofa"), ("침대", "bed")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        // 소파 → sofa (hit), 침대 → sofa (miss); sofa → 침대 (miss), bed → 침대 (hit).
        let ko = vec![vec![0.0, 1.0], vec![0.8, 0.6]];
        let en = vec![vec![0.6, 0.8], vec![1.0, 0.0]];
        let r = evaluate(&pairs, &ko, &en);
        assert_eq!(r.ko_to_en, 0.5);
        assert_eq!(r.misses, [("침대".to_string(), "sofa".to_string())]);
        assert_eq!(r.en_to_ko, 0.5);
    }

    #[test]
    fn the_committed_set_has_at_least_fifty_distinct_pairs() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/crosslingual-pairs.tsv");
        let pairs = read_pairs(&path).unwrap();
        assert!(pairs.len() >= 50, "{}", pairs.len());
        let ko: std::collections::HashSet<_> = pairs.iter().map(|p| &p.0).collect();
        let en: std::collections::HashSet<_> = pairs.iter().map(|p| &p.1).collect();
        assert_eq!((ko.len(), en.len()), (pairs.len(), pairs.len()), "every phrase once");
    }
}
