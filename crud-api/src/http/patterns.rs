//! Named patterns for the OpenAPI document. utoipa takes a `pattern` only as a string literal,
//! and the text rules (one line, no control or bidirectional characters, no surrounding
//! spaces) are long regexes shared by many fields; so fields say `pattern = "ONE_LINE"` and
//! the document is given the real regex here, once. Each regex describes a subset of what the
//! server accepts (`platform::text`, `identity::profile`…): a client that sends a string
//! matching it is never refused for its shape.

/// Characters no user-written text may hold: C0 and C1 controls, bidi embeddings, overrides
/// and isolates (`platform::text`).
const CONTROL: &str = r"\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069";
/// Unicode White_Space (what the server trims), beyond the controls above.
const SPACE: &str = r" \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The regex a named pattern stands for; None for a pattern that is already a regex.
pub fn regex(name: &str) -> Option<String> {
    let one_line = format!("^[^{CONTROL}{SPACE}]([^{CONTROL}]*[^{CONTROL}{SPACE}])?$");
    Some(match name {
        // A title, name, area or label: one line, no surrounding spaces (lengths in the schema).
        "ONE_LINE" => one_line,
        // Optional one-line text (an address's second line): no controls, may be empty.
        "NO_CONTROL" => format!("^[^{CONTROL}]*$"),
        // A description: line breaks and tabs allowed.
        "FREE_TEXT" => r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$".to_string(),
        // Opaque tokens and keys: printable ASCII without spaces.
        "TOKEN" => "^[!-~]+$".to_string(),
        // 7 to 15 digits, an optional leading +, single spaces or dashes between digits.
        "PHONE" => r"^\+?([0-9][ -]?){6,14}[0-9]$".to_string(),
        "PHONE_OR_EMPTY" => r"^(\+?([0-9][ -]?){6,14}[0-9])?$".to_string(),
        "POSTAL_CODE" => "^[0-9]{5}$".to_string(),
        // A style tag: letters, digits and dashes.
        "TAG" => "^[A-Za-z0-9-]{1,30}$".to_string(),
        _ => return None,
    })
}

/// Replaces every named `pattern` in `doc` (a JSON value of the document) with its regex.
pub fn expand(doc: &mut serde_json::Value) {
    match doc {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(p)) = map.get_mut("pattern") {
                if let Some(real) = regex(p) {
                    *p = real;
                }
            }
            map.values_mut().for_each(expand);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(expand),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::text::one_line_problem;

    fn re(name: &str) -> regex::Regex {
        regex::Regex::new(&regex(name).unwrap()).unwrap()
    }

    /// What the patterns allow, the server accepts; what the server refuses, they refuse.
    #[test]
    fn patterns_agree_with_the_server() {
        let one = re("ONE_LINE");
        for ok in ["소파", "IKEA 3-seat sofa", "a", "원목 식탁 (4인용)"] {
            assert!(one.is_match(ok) && one_line_problem(ok).is_none() && ok.trim() == ok, "{ok}");
        }
        for bad in [" lead", "trail ", "two\nlines", "nul\0", "\u{202E}afos", "\u{3000}wide", ""] {
            assert!(!one.is_match(bad), "{bad:?}");
        }
        let free = re("FREE_TEXT");
        assert!(free.is_match("첫 줄\n둘째 줄\ttab") && !free.is_match("bell\u{7}") && !free.is_match("\u{2067}x"));
        let phone = re("PHONE");
        for ok in ["010-1234-5678", "+82 10 1234 5678", "0212345"] {
            let mut e = Vec::new();
            crate::identity::profile::parse_phone("p", ok, &mut e);
            assert!(phone.is_match(ok) && e.is_empty(), "{ok}");
        }
        for bad in ["12345", "010--1234", "+", "1234567890123456"] {
            assert!(!phone.is_match(bad), "{bad}");
        }
        assert!(re("TAG").is_match("mid-century") && !re("TAG").is_match("a b"));
        assert!(re("TOKEN").is_match("fcm:APA91b-x_y") && !re("TOKEN").is_match("a b"));
    }

    #[test]
    fn names_are_replaced_everywhere_and_regexes_kept() {
        let mut doc = serde_json::json!({"a": {"pattern": "TAG"}, "b": [{"pattern": "^x$"}]});
        expand(&mut doc);
        assert_eq!(doc["a"]["pattern"], "^[A-Za-z0-9-]{1,30}$");
        assert_eq!(doc["b"][0]["pattern"], "^x$");
    }
}
