//! From ImageNet's 1000 classes to the marketplace's top-level categories.
//!
//! A category's score is the summed probability of the ImageNet classes that
//! depict it, so a sofa seen half as "studio couch" and half as "quilt"-covered
//! still counts. The mapping is by class name and checked against the labels file
//! at start-up, so a different labels file fails loudly instead of silently
//! mapping the wrong indices.

use serde::Serialize;

/// The seven categories the image model can suggest (crud-api slugs).
pub const CATEGORIES: [&str; 7] = ["sofa", "chair", "table", "bed", "desk", "storage", "lighting"];

const MAPPING: &[(&str, &[&str])] = &[
    ("sofa", &["studio couch"]),
    ("chair", &["rocking chair", "folding chair", "barber chair", "throne", "park bench"]),
    ("table", &["dining table", "pool table"]),
    ("bed", &["four-poster", "cradle", "crib", "bassinet", "quilt"]),
    ("desk", &["desk"]),
    (
        "storage",
        &[
            "wardrobe",
            "chiffonier",
            "china cabinet",
            "bookcase",
            "chest",
            "medicine chest",
            "entertainment center",
            "file",
            "plate rack",
            "safe",
        ],
    ),
    ("lighting", &["table lamp", "lampshade", "spotlight", "candle", "torch"]),
];

#[derive(Debug, Clone)]
pub struct CategoryMap {
    /// For each ImageNet index, the category index it counts towards.
    class_to_category: Vec<Option<usize>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CategoryScore {
    #[schema(example = "sofa")]
    pub category: &'static str,
    /// 0–1: in `categories`, the summed ImageNet probability; in `probabilities`, the
    /// head's calibrated probability.
    pub score: f32,
}

impl CategoryMap {
    pub fn new(labels: &[String]) -> anyhow::Result<Self> {
        let mut class_to_category = vec![None; labels.len()];
        for (category, classes) in MAPPING {
            let c = CATEGORIES.iter().position(|x| x == category).expect("mapping names a known category");
            for class in *classes {
                let i = labels
                    .iter()
                    .position(|l| l == class)
                    .ok_or_else(|| anyhow::anyhow!("labels file has no ImageNet class {class:?}"))?;
                class_to_category[i] = Some(c);
            }
        }
        Ok(Self { class_to_category })
    }

    /// Category scores from class probabilities, best first.
    pub fn scores(&self, probabilities: &[f32]) -> Vec<CategoryScore> {
        let mut sums = [0f32; CATEGORIES.len()];
        for (p, c) in probabilities.iter().zip(&self.class_to_category) {
            if let Some(c) = c {
                sums[*c] += p;
            }
        }
        let mut out: Vec<CategoryScore> =
            CATEGORIES.iter().zip(sums).map(|(category, score)| CategoryScore { category, score }).collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        let mut l: Vec<String> = (0..1000).map(|i| format!("class {i}")).collect();
        let mut i = 0;
        for (_, classes) in MAPPING {
            for c in *classes {
                l[i] = c.to_string();
                i += 1;
            }
        }
        l
    }

    #[test]
    fn sums_probabilities_per_category() {
        let labels = labels();
        let map = CategoryMap::new(&labels).unwrap();
        let mut p = vec![0.0; 1000];
        p[labels.iter().position(|l| l == "studio couch").unwrap()] = 0.3;
        p[labels.iter().position(|l| l == "wardrobe").unwrap()] = 0.25;
        p[labels.iter().position(|l| l == "bookcase").unwrap()] = 0.2;
        let s = map.scores(&p);
        assert_eq!(s[0].category, "storage");
        assert!((s[0].score - 0.45).abs() < 1e-6);
        assert_eq!(s[1].category, "sofa");
    }

    #[test]
    fn refuses_a_labels_file_without_our_classes() {
        let labels: Vec<String> = (0..1000).map(|i| format!("class {i}")).collect();
        assert!(CategoryMap::new(&labels).is_err());
    }
}
