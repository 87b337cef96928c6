//! Profile fields: display names, phone numbers, delivery addresses.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::platform::error::FieldError;
use crate::platform::text::one_line_problem;

pub fn parse_name(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, "is required"));
    } else if n > 100 {
        errors.push(FieldError::new(field, "must be at most 100 characters"));
    } else if let Some(why) = one_line_problem(name) {
        errors.push(FieldError::new(field, why));
    }
    name.to_string()
}

/// Phone numbers: 7–15 digits, an optional leading `+`, and single separators (`-` or a
/// space) between digits — the OpenAPI `PHONE` pattern, exactly.
pub fn parse_phone(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let phone = raw.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let body = phone.strip_prefix('+').unwrap_or(phone);
    let shape_ok = body.starts_with(|c: char| c.is_ascii_digit())
        && body.ends_with(|c: char| c.is_ascii_digit())
        && body.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        && !body.as_bytes().windows(2).any(|w| !w[0].is_ascii_digit() && !w[1].is_ascii_digit());
    if !shape_ok || !(7..=15).contains(&digits) {
        errors.push(FieldError::new(field, "must be a phone number (7 to 15 digits)"));
    }
    phone.to_string()
}

/// A delivery address in the user's address book.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Short label, e.g. "집" or "office".
    #[schema(example = "집", min_length = 1, max_length = 30, pattern = "ONE_LINE")]
    pub label: String,
    #[schema(example = "김민수", min_length = 1, max_length = 100, pattern = "ONE_LINE")]
    pub recipient: String,
    #[schema(example = "010-1234-5678", pattern = "PHONE")]
    pub phone: String,
    #[schema(example = "서울특별시 마포구 양화로 45", min_length = 1, max_length = 200, pattern = "ONE_LINE")]
    pub line1: String,
    #[serde(default)]
    #[schema(example = "3층", max_length = 200, pattern = "NO_CONTROL")]
    pub line2: Option<String>,
    #[schema(example = "04036", pattern = "POSTAL_CODE")]
    pub postal_code: String,
    /// Area name used for delivery matching, e.g. "마포구".
    #[schema(example = "마포구", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub area: String,
    #[serde(default)]
    pub is_default: bool,
}

pub const MAX_ADDRESSES: usize = 10;

/// The address book as stored: fields trimmed, and at most one default — the first marked one
/// (a form that ticks a new default without unticking the old sends two).
pub fn one_default(mut addresses: Vec<Address>) -> Vec<Address> {
    let mut seen = false;
    for a in &mut addresses {
        for f in [&mut a.label, &mut a.recipient, &mut a.phone, &mut a.line1, &mut a.postal_code, &mut a.area] {
            *f = f.trim().to_string();
        }
        a.line2 = a.line2.take().map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
        let first = a.is_default && !seen;
        seen |= a.is_default;
        a.is_default = first;
    }
    addresses
}

pub fn validate_addresses(addresses: &[Address], errors: &mut Vec<FieldError>) {
    if addresses.len() > MAX_ADDRESSES {
        errors.push(FieldError::new("addresses", format!("at most {MAX_ADDRESSES} addresses")));
    }
    for (i, a) in addresses.iter().enumerate() {
        let f = |name: &str| format!("addresses[{i}].{name}");
        for (name, value, max) in
            [("label", &a.label, 30), ("recipient", &a.recipient, 100), ("line1", &a.line1, 200), ("area", &a.area, 50)]
        {
            let n = value.trim().chars().count();
            if n == 0 {
                errors.push(FieldError::new(f(name), "is required"));
            } else if n > max {
                errors.push(FieldError::new(f(name), format!("must be at most {max} characters")));
            } else if let Some(why) = one_line_problem(value.trim()) {
                errors.push(FieldError::new(f(name), why));
            }
        }
        if a.line2.as_deref().is_some_and(|l| l.chars().count() > 200) {
            errors.push(FieldError::new(f("line2"), "must be at most 200 characters"));
        } else if let Some(why) = a.line2.as_deref().and_then(|l| one_line_problem(l.trim())) {
            errors.push(FieldError::new(f("line2"), why));
        }
        let pc = a.postal_code.trim();
        if pc.len() != 5 || !pc.chars().all(|c| c.is_ascii_digit()) {
            errors.push(FieldError::new(f("postal_code"), "must be a 5-digit postal code"));
        }
        parse_phone(&f("phone"), &a.phone, errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_default_address_wins() {
        let a = |label: &str, is_default| Address {
            label: label.into(),
            recipient: "김민수".into(),
            phone: "010-1234-5678".into(),
            line1: "양화로 45".into(),
            line2: None,
            postal_code: "04036".into(),
            area: "마포구".into(),
            is_default,
        };
        let book = one_default(vec![a("집", false), a("회사", true), a("본가", true)]);
        assert_eq!(book.iter().map(|a| a.is_default).collect::<Vec<_>>(), [false, true, false]);
        assert!(one_default(vec![a("집", false)]).iter().all(|a| !a.is_default));
    }

    #[test]
    fn phone_shapes() {
        let mut e = vec![];
        parse_phone("p", "010-1234-5678", &mut e);
        parse_phone("p", "+82 10 1234 5678", &mut e);
        assert!(e.is_empty());
        parse_phone("p", "12-34", &mut e);
        parse_phone("p", "010-CALL-ME", &mut e);
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn address_errors_name_the_field() {
        let a = Address {
            label: "".into(),
            recipient: "김".into(),
            phone: "01012345678".into(),
            line1: "x".into(),
            line2: None,
            postal_code: "123".into(),
            area: "마포구".into(),
            is_default: true,
        };
        let mut e = vec![];
        validate_addresses(&[a], &mut e);
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["addresses[0].label", "addresses[0].postal_code"]);
    }
}
