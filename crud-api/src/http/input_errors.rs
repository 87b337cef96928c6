//! serde's messages in words a user (and a frontend showing them next to a form field) can
//! use: "must be a whole number", not "invalid type: string \"3\", expected i32 at line 1
//! column 70". The field path stays separate, in the problem's `errors[].field`.

/// One field's message from serde's text (`path: message` for body errors, bare messages
/// for query strings). Returns (field, message).
pub fn field_error(text: &str, default_field: &str) -> (String, String) {
    let msg = text.split_once("target type: ").map(|(_, m)| m).unwrap_or(text);
    let msg = strip_position(msg);
    match msg.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') && path != "." => (path.to_string(), humanize(rest)),
        _ => {
            // "missing field `email`" and "unknown field `x`" name the field themselves.
            let named =
                msg.split('`').nth(1).filter(|_| msg.starts_with("missing field") || msg.starts_with("unknown field"));
            (named.unwrap_or(default_field).to_string(), humanize(&msg))
        }
    }
}

/// serde_json appends where in the text it was: noise to a user, and it changes with spacing.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

/// The expectation in serde's words → what the value must be.
fn expectation(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" | "a string or null" => "text",
        "UUID" | "a UUID" | "a UUID string" => "a UUID",
        "a sequence" => "a list",
        "a map" => "an object",
        _ if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        _ if e.starts_with("a sequence") || e.starts_with("a list") => "a list",
        _ if e.contains("RFC 3339") || e.contains("date") => "a date-time like 2026-12-01T09:00:00Z",
        _ => return e.trim_start_matches("a ").trim_start_matches("an ").to_string().replace('`', ""),
    };
    words.to_string()
}

fn humanize(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let allowed = rest
            .split_once("expected one of ")
            .map(|(_, a)| a)
            .or_else(|| rest.split_once("expected ").map(|(_, a)| a));
        return match allowed {
            Some(list) => format!("must be one of: {}", list.replace('`', "")),
            None => "is not one of the allowed values".into(),
        };
    }
    if msg.starts_with("missing field") {
        return "is required".into();
    }
    if msg.starts_with("unknown field") {
        return match msg.split_once("expected one of ") {
            Some((_, list)) => format!("is not a field here; the fields are: {}", list.replace('`', "")),
            None => "is not a field here".into(),
        };
    }
    if msg.starts_with("duplicate field") {
        return "is given twice".into();
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: ")) {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        if rest.starts_with("integer") && expected.starts_with('u') && rest.contains('-') {
            return "must be 0 or more".into();
        }
        if rest.starts_with("integer") && !expected.is_empty() && msg.starts_with("invalid value") {
            return "is out of range".into();
        }
        return format!("must be {}", expectation(expected));
    }
    if msg.starts_with("invalid length") {
        return match msg.split_once(", expected ") {
            Some((_, e)) => format!("must have {e}"),
            None => "has the wrong length".into(),
        };
    }
    if msg.contains("UUID parsing failed")
        || msg.starts_with("invalid character: expected an optional prefix of `urn:uuid:`")
    {
        return "must be a UUID".into();
    }
    if msg.contains("number out of range") {
        return "is out of range".into();
    }
    if msg.contains("invalid digit") || msg.contains("cannot parse integer") {
        return "must be a whole number".into();
    }
    if msg.contains("premature end of input")
        || msg.contains("input contains invalid characters")
        || msg.contains("input is out of range")
    {
        return "must be a date-time like 2026-12-01T09:00:00Z".into();
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(text: &str) -> (String, String) {
        field_error(text, "body")
    }

    #[test]
    fn serde_text_becomes_words() {
        let cases = [
            (
                "Failed to deserialize the JSON body into the target type: price: invalid type: string \"3\", expected i64 at line 1 column 70",
                ("price", "must be a whole number"),
            ),
            ("quantity: invalid value: integer `-1`, expected u32 at line 1 column 15", ("quantity", "must be 0 or more")),
            ("quantity: invalid value: integer `99999999999`, expected i32 at line 1 column 15", ("quantity", "is out of range")),
            ("missing field `email` at line 1 column 2", ("email", "is required")),
            (
                "condition: unknown variant `shiny`, expected one of `new`, `like_new`, `good` at line 1 column 20",
                ("condition", "must be one of: new, like_new, good"),
            ),
            ("unknown field `colour`, expected one of `title`, `price` at line 1 column 9", ("colour", "is not a field here; the fields are: title, price")),
            ("is_seller: invalid type: integer `1`, expected a boolean at line 1 column 14", ("is_seller", "must be true or false")),
            ("category_id: UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 1 at line 1 column 40", ("category_id", "must be a UUID")),
            ("name: invalid type: null, expected a string at line 1 column 12", ("name", "must be text")),
            ("style_tags: invalid type: string \"x\", expected a sequence at line 1 column 9", ("style_tags", "must be a list")),
        ];
        for (text, (field, message)) in cases {
            assert_eq!(fe(text), (field.to_string(), message.to_string()), "{text}");
        }
    }

    #[test]
    fn no_message_keeps_serde_positions_or_rust_types() {
        for text in [
            "a: invalid type: map, expected i32 at line 3 column 4",
            "b: invalid type: string \"\", expected f64 at line 1 column 1",
        ] {
            let (_, m) = fe(text);
            assert!(!m.contains("line") && !m.contains("i32") && !m.contains("f64"), "{m}");
        }
    }
}
