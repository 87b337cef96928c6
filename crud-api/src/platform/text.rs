//! What user-written text may contain. Control characters (NUL, newlines in a title…) break
//! layouts, logs and exports; bidirectional embedding, override and isolate controls make text
//! display differently from what it says (a title that reads "sofa" but is stored reversed).

/// U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why `s` can't be one line of text (a title, a name, an area), if it can't.
pub fn one_line_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(char::is_control) {
        Some("must not contain control characters or line breaks")
    } else if s.chars().any(is_bidi_control) {
        Some("must not contain bidirectional control characters")
    } else {
        None
    }
}

/// Why `s` can't be free text (a description), if it can't: line breaks and tabs are fine.
pub fn multi_line_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        Some("must not contain control characters")
    } else if s.chars().any(is_bidi_control) {
        Some("must not contain bidirectional control characters")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_descriptions_may_break_lines() {
        assert_eq!(one_line_problem("원목 식탁 4인용"), None);
        assert!(one_line_problem("sofa\nsecond line").is_some());
        assert!(one_line_problem("nul\0").is_some());
        assert!(one_line_problem("\u{202E}afos").is_some());
        assert_eq!(multi_line_problem("첫 줄\n둘째 줄\ttab"), None);
        assert!(multi_line_problem("bell\u{7}").is_some());
        assert!(multi_line_problem("\u{2067}isolate").is_some());
    }
}
