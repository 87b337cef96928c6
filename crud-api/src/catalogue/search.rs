//! Search terms for Korean and English.
//!
//! Korean writes many words without spaces ("가죽소파", "3인용소파"), so word tokenizers miss
//! them. We index Hangul (and other CJK) runs as overlapping character bigrams — the classic
//! CJK approach — and other words whole, lower-cased. A query is tokenised the same way and
//! every term must match; the last Latin word also matches as a prefix ("sof" → "sofa").
//! Both backends index the same precomputed terms: SQLite with FTS5, PostgreSQL with a GIN
//! index over `array_to_tsvector` (the terms are lexemes as they are; no parser, no locale).

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7A3 // Hangul jamo, compatibility jamo, syllables
        | 0x3040..=0x30FF // kana
        | 0x4E00..=0x9FFF) // CJK ideographs
}

/// Splits text into runs of letters/digits, lower-cased.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_lowercase())
}

/// Terms of one word: CJK words become bigrams (a single CJK character stays itself);
/// other words stay whole.
fn word_terms(word: &str, out: &mut Vec<String>) {
    if !word.chars().any(is_cjk) {
        out.push(word.to_string());
        return;
    }
    let chars: Vec<char> = word.chars().collect();
    if chars.len() == 1 {
        out.push(word.to_string());
        return;
    }
    for pair in chars.windows(2) {
        out.push(pair.iter().collect());
    }
}

/// The terms indexed for a document, space-separated, each once.
pub fn index_terms(parts: &[&str]) -> String {
    let mut terms = Vec::new();
    for part in parts {
        for w in words(part) {
            word_terms(&w, &mut terms);
        }
    }
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms.join(" ")
}

/// A parsed search query: terms that must all match (or, relaxed, any of them), the last
/// one maybe as a prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub terms: Vec<String>,
    /// Any term matches rather than all (`relaxed`).
    pub any: bool,
    /// True when the last term may be incomplete: a Latin word ("sof" → sofa), or a single
    /// Hangul syllable ("소" → 소파), which the index only holds inside bigrams.
    pub prefix_last: bool,
}

impl Query {
    /// None when the text has no searchable terms.
    pub fn parse(text: &str) -> Option<Query> {
        let mut terms = Vec::new();
        let mut last_may_continue = false;
        for w in words(text) {
            last_may_continue = !w.chars().any(is_cjk) || w.chars().count() == 1;
            word_terms(&w, &mut terms);
        }
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        terms.truncate(16);
        (!terms.is_empty()).then_some(Query { terms, any: false, prefix_last: last_may_continue })
    }

    /// The same terms, any of which may match: what a query whose words no one listing
    /// holds together falls back to ("velvet 암체어" when the velvet armchair's title is
    /// English and the rattan one's Korean). The index's rank puts listings matching more
    /// terms first. None for a single term (nothing to relax).
    pub fn relaxed(&self) -> Option<Query> {
        (self.terms.len() > 1 && !self.any).then(|| Query { any: true, ..self.clone() })
    }

    /// FTS5 MATCH expression. Terms hold only letters and digits, so quoting is safe.
    pub fn fts5(&self) -> String {
        let n = self.terms.len();
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| if i + 1 == n && self.prefix_last { format!("\"{t}\"*") } else { format!("\"{t}\"") })
            .collect::<Vec<_>>()
            .join(if self.any { " OR " } else { " AND " })
    }

    /// PostgreSQL `tsquery` literal (cast with `::tsquery`: lexemes are taken as written).
    pub fn tsquery(&self) -> String {
        let n = self.terms.len();
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| if i + 1 == n && self.prefix_last { format!("'{t}':*") } else { format!("'{t}'") })
            .collect::<Vec<_>>()
            .join(if self.any { " | " } else { " & " })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_relaxed_query_matches_any_term() {
        let q = Query::parse("velvet 암체어").unwrap();
        assert_eq!(q.fts5(), "\"velvet\" AND \"암체\" AND \"체어\"");
        let r = q.relaxed().unwrap();
        assert_eq!(r.fts5(), "\"velvet\" OR \"암체\" OR \"체어\"");
        assert_eq!(r.tsquery(), "'velvet' | '암체' | '체어'");
        assert!(r.relaxed().is_none() && Query::parse("sofa").unwrap().relaxed().is_none());
    }

    use super::*;

    #[test]
    fn korean_is_indexed_as_bigrams() {
        assert_eq!(index_terms(&["가죽소파"]), "가죽 죽소 소파");
        assert_eq!(index_terms(&["3인용 소파", "Leather SOFA"]), "3인 인용 소파 leather sofa");
    }

    #[test]
    fn a_korean_word_inside_a_compound_matches() {
        let doc = index_terms(&["북유럽 원목 가죽소파 팝니다"]);
        let q = Query::parse("소파").unwrap();
        assert!(q.terms.iter().all(|t| doc.split(' ').any(|d| d == t)));
        assert!(!q.prefix_last);
    }

    #[test]
    fn query_syntax_is_escaped_away() {
        let q = Query::parse("sofa\" OR 1=1 --").unwrap();
        assert_eq!(q.terms, ["sofa", "or", "1"]);
        assert_eq!(q.fts5(), "\"sofa\" AND \"or\" AND \"1\"*");
        assert_eq!(q.tsquery(), "'sofa' & 'or' & '1':*");
        assert!(Query::parse("  --- ").is_none());
    }

    #[test]
    fn latin_prefix_on_the_last_word_only() {
        let q = Query::parse("oak dining ta").unwrap();
        assert!(q.prefix_last);
        assert!(q.fts5().ends_with("\"ta\"*"));
        assert!(!Query::parse("원목 식탁").unwrap().prefix_last);
    }

    #[test]
    fn a_single_hangul_syllable_is_a_prefix_of_the_bigrams() {
        // "소" found nothing: the index holds 소파, never 소 alone.
        let q = Query::parse("소").unwrap();
        assert!(q.prefix_last);
        assert_eq!(q.fts5(), "\"소\"*");
        assert_eq!(q.tsquery(), "'소':*");
        assert!(Query::parse("원목 소").unwrap().prefix_last);
    }
}
