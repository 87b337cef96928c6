//! Runner input checked against the published JSON Schemas (`plugins/schemas/`) before it is
//! read, so an author's mistake — `"quantity": "3"`, a misspelt `"quantitiy"`, a popularity of
//! 7 — gets the schema's words and the path to it instead of a guess.
//!
//! A validator for the keywords those schemas use: `type` (one or a list), `required`,
//! `properties`, `additionalProperties: false`, `items`, `minimum`, `maximum`, `minItems`;
//! `format` is checked by the reader (the times), the rest are annotations. A schema that uses
//! any other keyword is refused by a test, so the subset cannot grow without the validator.

use serde_json::Value;

pub const CHECKOUT: &str = include_str!("../../schemas/checkout.schema.json");
pub const RANK_REQUEST: &str = include_str!("../../schemas/rank-request.schema.json");
pub const PLAN: &str = include_str!("../../schemas/plan.schema.json");
pub const RANKING: &str = include_str!("../../schemas/ranking.schema.json");

fn type_ok(name: &str, v: &Value) -> bool {
    match name {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        // Whole numbers as JSON writes them: 3, not 3.0 or "3".
        "integer" => v.is_i64() || v.is_u64(),
        _ => false,
    }
}

fn describe(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// The first place `v` breaks `schema`, as "path: what".
pub fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let fail = |what: String| Err(format!("{at}: {what}"));
    if let Some(t) = schema.get("type") {
        let names: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !names.iter().any(|n| type_ok(n, v)) {
            return fail(format!("{} is not {}", describe(v), names.join(" or ")));
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                return fail(format!("{} is less than the minimum {min}", describe(v)));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                return fail(format!("{} is more than the maximum {max}", describe(v)));
            }
        }
    }
    if let Some(obj) = v.as_object() {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(key) {
                return fail(format!("`{key}` is required"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (key, value) in obj {
            match props.and_then(|p| p.get(key)) {
                Some(sub) => validate(sub, value, &format!("{at}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    let known: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                    return fail(format!("unknown field `{key}` (known: {})", known.join(", ")));
                }
                None => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                return fail(format!("needs at least {min} items"));
            }
        }
        if let Some(sub) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(sub, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

/// What the runner prints as a plugin's answer follows the published output schema; if it
/// did not, that would be the runner's bug (it panics: exit 3), not the author's.
pub fn assert_output(schema: &str, output: &Value) {
    let schema: Value = serde_json::from_str(schema).expect("the published schemas are JSON");
    if let Err(e) = validate(&schema, output, "output") {
        panic!("the runner's output breaks its own schema: {e}");
    }
}

/// `v` against one of the schemas above (their text).
pub fn check(schema: &str, v: &Value) -> anyhow::Result<()> {
    let schema: Value = serde_json::from_str(schema).expect("the published schemas are JSON");
    validate(&schema, v, "input").map_err(|e| anyhow::anyhow!("{e} (plugins/schemas/)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Keywords this validator understands; the annotations it may ignore.
    const CHECKED: &[&str] =
        &["type", "required", "properties", "additionalProperties", "items", "minimum", "maximum", "minItems"];
    const ANNOTATIONS: &[&str] = &["$schema", "$id", "title", "description", "examples", "default", "format"];

    /// Every keyword in every schema is one this validator checks or may ignore.
    #[test]
    fn the_schemas_use_only_the_keywords_checked_here() {
        fn walk(s: &Value, at: &str) {
            let Some(obj) = s.as_object() else { return };
            for (k, v) in obj {
                assert!(CHECKED.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()), "{at}: keyword {k}");
                match k.as_str() {
                    "properties" => v.as_object().unwrap().iter().for_each(|(p, s)| walk(s, &format!("{at}.{p}"))),
                    "items" => walk(v, &format!("{at}[]")),
                    _ => {}
                }
            }
        }
        for (name, text) in
            [("checkout", CHECKOUT), ("rank-request", RANK_REQUEST), ("plan", PLAN), ("ranking", RANKING)]
        {
            walk(&serde_json::from_str(text).unwrap(), name);
        }
    }

    #[test]
    fn mistakes_get_the_path_and_the_rule() {
        let line = json!({"product_id": "p", "category": "sofa", "seller_id": "s", "unit_price": 1000});
        let ok = json!({"lines": [line]});
        assert!(check(CHECKOUT, &ok).is_ok());
        let mut bad = ok.clone();
        bad["lines"][0]["quantity"] = json!("3");
        assert!(check(CHECKOUT, &bad)
            .unwrap_err()
            .to_string()
            .starts_with("input.lines[0].quantity: \"3\" is not integer"));
        let mut typo = ok.clone();
        typo["lines"][0]["quantitiy"] = json!(3);
        assert!(check(CHECKOUT, &typo).unwrap_err().to_string().contains("unknown field `quantitiy`"));
        let mut float = ok.clone();
        float["lines"][0]["quantity"] = json!(3.0);
        assert!(check(CHECKOUT, &float).is_err(), "3.0 is not a whole number as JSON writes one");
        assert!(check(CHECKOUT, &json!({})).unwrap_err().to_string().contains("`lines` is required"));
        let request = json!({"context": {}, "candidates": [{"id": "a", "category": "c", "price": 1, "popularity": 7}]});
        let e = check(RANK_REQUEST, &request).unwrap_err().to_string();
        assert!(e.starts_with("input.candidates[0].popularity: 7 is more than the maximum 1"), "{e}");
        assert!(check(PLAN, &json!({"adjustments": []}))
            .unwrap_err()
            .to_string()
            .contains("`delivery_fee` is required"));
        assert!(check(RANKING, &json!([{"id": "a", "score": 1.0, "reason": ""}])).is_ok());
    }
}
