//! What puts a search match first. The index is one bag of terms per listing (title,
//! description, tags, area and category as Korean bigrams and English words), so its rank alone
//! can't tell "침대" the bed from a desk whose description mentions 받침대 (a stand: its bigrams
//! include 침대) — a short description even ranks higher. Listings in a category the query
//! names come first, then listings whose title holds more of the query's words, then the
//! index's rank.

use uuid::Uuid;

use super::search;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Boost {
    /// Categories a query word names, and everything below them.
    pub categories: Vec<Uuid>,
    /// The query's words, lower-cased, at most 8, to look for in titles.
    pub title_words: Vec<String>,
}

impl Boost {
    /// The boost for `query_text`; `named` gives the categories (with their subtrees) that
    /// one of the query's words names (`names_word`).
    pub fn new(query_text: &str, named: impl Fn(&[String]) -> Vec<Uuid>) -> Self {
        let mut title_words: Vec<String> = Vec::new();
        for w in search::words(query_text) {
            if !title_words.contains(&w) && title_words.len() < 8 {
                title_words.push(w);
            }
        }
        Self { categories: named(&title_words), title_words }
    }
}

/// Whether `word` is one of `name`'s words, English plurals forgiven ("bed" names "Beds").
/// Whole words only: a word inside a Korean compound is not the category (받침대 is a stand).
pub fn names_word(name: &str, word: &str) -> bool {
    search::words(name).any(|n| n == word || n.strip_suffix('s') == Some(word) || n.strip_suffix("es") == Some(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names_match_whole_words_and_plurals() {
        assert!(names_word("침대", "침대") && names_word("침대 프레임", "침대"));
        assert!(names_word("Beds", "bed") && names_word("Chests of drawers", "drawer"));
        assert!(names_word("Sofas", "sofas"));
        assert!(!names_word("침대", "받침대") && !names_word("Desks", "des"));
    }

    #[test]
    fn title_words_are_lower_cased_once_each() {
        let b = Boost::new("Oak  OAK desk", |_| Vec::new());
        assert_eq!(b.title_words, ["oak", "desk"]);
    }
}
