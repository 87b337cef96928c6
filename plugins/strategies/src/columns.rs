//! Candidates as columns — the recommendation contract's input since 0.3.0.
//!
//! One `Vec` per feature, names stored once and referred to by index: what crosses the
//! sandbox's boundary is a handful of flat copies instead of a record (and its strings) per
//! candidate, and a strategy compares small integers where it compared strings.

use crate::types::Candidate;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidates {
    /// Category slugs, each once.
    pub category_names: Vec<String>,
    /// Candidate `i`'s category: an index into `category_names`.
    pub category: Vec<u16>,
    pub price: Vec<i64>,
    pub age_days: Vec<u32>,
    /// 0..1.
    pub popularity: Vec<f64>,
    /// 0..1; NaN when there is no query image.
    pub similarity: Vec<f64>,
    /// NaN when unknown.
    pub distance_km: Vec<f64>,
    /// Style tags, each once.
    pub tag_names: Vec<String>,
    /// Candidate `i`'s tags are `tags[tag_start[i]..tag_start[i + 1]]`.
    pub tag_start: Vec<u32>,
    pub tags: Vec<u16>,
}

/// A ranked candidate, by its position in the columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub index: u32,
    pub score: f64,
    pub reason: String,
}

/// Gives each distinct name its index. A request's candidates come from a few dozen
/// categories and tags, where a linear scan beats hashing; past `SCAN` names it hashes, so
/// thousands of distinct tags cost no quadratic time.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    index: std::collections::HashMap<String, u16>,
}

impl Interner {
    const SCAN: usize = 64;

    fn get(&mut self, name: &str) -> u16 {
        let found = if self.names.len() <= Self::SCAN {
            self.names.iter().position(|n| n == name).map(|i| i as u16)
        } else {
            self.index.get(name).copied()
        };
        found.unwrap_or_else(|| {
            let i = self.names.len() as u16; // wraps past MAX_NAMES; `from_records` refuses that
            self.names.push(name.to_string());
            if self.names.len() > Self::SCAN {
                if self.index.is_empty() {
                    self.index = self.names.iter().enumerate().map(|(i, n)| (n.clone(), i as u16)).collect();
                } else {
                    self.index.insert(name.to_string(), i);
                }
            }
            i
        })
    }
}

/// Past this many distinct names an index no longer fits the contract's `u16`.
pub const MAX_NAMES: usize = u16::MAX as usize + 1;

impl Candidates {
    /// The columns of `records`, in their order. Fails when they hold more than `MAX_NAMES`
    /// distinct categories or tags.
    pub fn from_records(records: &[Candidate]) -> Result<Self, String> {
        let n = records.len();
        let mut c = Candidates {
            category: Vec::with_capacity(n),
            price: Vec::with_capacity(n),
            age_days: Vec::with_capacity(n),
            popularity: Vec::with_capacity(n),
            similarity: Vec::with_capacity(n),
            distance_km: Vec::with_capacity(n),
            tag_start: Vec::with_capacity(n + 1),
            tags: Vec::with_capacity(n * 2),
            ..Default::default()
        };
        c.tag_start.push(0);
        let (mut categories, mut tags) = (Interner::default(), Interner::default());
        for r in records {
            c.category.push(categories.get(&r.category));
            c.price.push(r.price);
            c.age_days.push(r.age_days);
            c.popularity.push(r.popularity);
            c.similarity.push(r.similarity.unwrap_or(f64::NAN));
            c.distance_km.push(r.distance_km.unwrap_or(f64::NAN));
            for t in &r.style_tags {
                c.tags.push(tags.get(t));
            }
            c.tag_start.push(c.tags.len() as u32);
            if categories.names.len() > MAX_NAMES || tags.names.len() > MAX_NAMES {
                return Err(format!("more than {MAX_NAMES} distinct categories or tags"));
            }
        }
        (c.category_names, c.tag_names) = (categories.names, tags.names);
        Ok(c)
    }

    pub fn len(&self) -> usize {
        self.category.len()
    }

    pub fn is_empty(&self) -> bool {
        self.category.is_empty()
    }

    /// Checks that the columns describe the same number of candidates and every index points
    /// at a name: what a plugin may rely on (the host builds them with `from_records`).
    pub fn check(&self) -> Result<(), String> {
        let n = self.len();
        let lens = [self.price.len(), self.age_days.len(), self.popularity.len(), self.similarity.len()];
        if lens.iter().chain([&self.distance_km.len()]).any(|&l| l != n) || self.tag_start.len() != n + 1 {
            return Err("columns of different lengths".into());
        }
        if self.category.iter().any(|&c| c as usize >= self.category_names.len())
            || self.tags.iter().any(|&t| t as usize >= self.tag_names.len())
        {
            return Err("an index past its names".into());
        }
        if self.tag_start[0] != 0
            || self.tag_start.windows(2).any(|w| w[0] > w[1])
            || self.tag_start[n] as usize != self.tags.len()
        {
            return Err("tag-start is not a partition of tags".into());
        }
        Ok(())
    }

    /// Candidate `i`'s tags, as indices into `tag_names`.
    pub fn tags_of(&self, i: usize) -> &[u16] {
        &self.tags[self.tag_start[i] as usize..self.tag_start[i + 1] as usize]
    }

    /// The index of `name` in `names`, if any candidate has it.
    pub fn category_index(&self, name: &str) -> Option<u16> {
        self.category_names.iter().position(|n| n == name).map(|i| i as u16)
    }

    pub fn tag_index(&self, name: &str) -> Option<u16> {
        self.tag_names.iter().position(|n| n == name).map(|i| i as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, category: &str, tags: &[&str]) -> Candidate {
        Candidate {
            id: id.into(),
            category: category.into(),
            price: 1,
            age_days: 2,
            popularity: 0.5,
            similarity: None,
            distance_km: Some(3.0),
            style_tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn names_are_stored_once_and_rows_keep_their_order() {
        let c = Candidates::from_records(&[
            record("a", "sofa", &["modern", "wood"]),
            record("b", "desk", &[]),
            record("c", "sofa", &["wood"]),
        ])
        .unwrap();
        assert_eq!(c.category_names, ["sofa", "desk"]);
        assert_eq!(c.category, [0, 1, 0]);
        assert_eq!(c.tag_names, ["modern", "wood"]);
        assert_eq!(c.tag_start, [0, 2, 2, 3]);
        assert_eq!(c.tags_of(0), [0, 1]);
        assert!(c.tags_of(1).is_empty());
        assert_eq!(c.tags_of(2), [1]);
        assert!(c.similarity.iter().all(|s| s.is_nan()));
        assert_eq!(c.distance_km, [3.0; 3]);
        c.check().unwrap();
        assert!(Candidates::from_records(&[]).unwrap().check().is_ok());
    }

    #[test]
    fn many_distinct_tags_keep_their_indices_and_too_many_are_refused() {
        let many: Vec<String> = (0..70_000).map(|t| format!("t{}", t % 65_536)).collect();
        let c =
            Candidates::from_records(&[Candidate { style_tags: many.clone(), ..record("a", "sofa", &[]) }]).unwrap();
        assert_eq!(c.tag_names.len(), 65_536);
        assert_eq!(c.tags[65_536 + 5], 5, "a repeated name gets its first index");
        assert_eq!(c.tags[200], 200);
        let too_many: Vec<String> = (0..65_537).map(|t| format!("t{t}")).collect();
        assert!(Candidates::from_records(&[Candidate { style_tags: too_many, ..record("a", "sofa", &[]) }]).is_err());
    }

    #[test]
    fn check_refuses_columns_that_disagree() {
        let good = Candidates::from_records(&[record("a", "sofa", &["modern"])]).unwrap();
        let mut c = good.clone();
        c.price.push(2);
        assert!(c.check().is_err());
        let mut c = good.clone();
        c.category[0] = 7;
        assert!(c.check().is_err());
        let mut c = good.clone();
        c.tag_start[1] = 5;
        assert!(c.check().is_err());
    }
}
