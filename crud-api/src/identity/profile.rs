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

/// Phone numbers: digits with optional leading `+` and separators (`-`, space); 7–15 digits.
pub fn parse_phone(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let phone = raw.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let shape_ok =
        phone.char_indices().all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0));
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
    #[schema(example = "집")]
    pub label: String,
    #[schema(example = "김민수")]
    pub recipient: String,
    #[schema(example = "010-1234-5678")]
    pub phone: String,
    #[schema(example = "서울특별시 마포구 양화로 45")]
    pub line1: String,
    #[serde(default)]
    #[schema(example = "3층")]
    pub line2: Option<String>,
    #[schema(example = "04036")]
    pub postal_code: String,
    /// Area name used for delivery matching, e.g. "마포구".
    #[schema(example = "마포구")]
    pub area: String,
    #[serde(default)]
    pub is_default: bool,
}

pub const MAX_ADDRESSES: usize = 10;

pub fn validate_addresses(addresses: &[Address], errors: &mut Vec<FieldError>) {
    if addresses.len() > MAX_ADDRESSES {
        errors.push(FieldError::new("addresses", format!("at most {MAX_ADDRESSES} addresses")));
    }
    if addresses.iter().filter(|a| a.is_default).count() > 1 {
        errors.push(FieldError::new("addresses", "at most one default address"));
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
            }
        }
        if a.line2.as_deref().is_some_and(|l| l.chars().count() > 200) {
            errors.push(FieldError::new(f("line2"), "must be at most 200 characters"));
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
