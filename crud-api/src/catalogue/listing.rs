//! What a seller writes when listing furniture, parsed into a `store::products::Listing`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::platform::error::FieldError;
use crate::platform::text::{multi_line_problem, one_line_problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    New,
    LikeNew,
    Good,
    Fair,
    Poor,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::New => "new",
            Condition::LikeNew => "like_new",
            Condition::Good => "good",
            Condition::Fair => "fair",
            Condition::Poor => "poor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Condition::New, Condition::LikeNew, Condition::Good, Condition::Fair, Condition::Poor]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

crate::text_enum!(Condition);

/// Listing status: 판매중 on_sale → 예약중 reserved → 거래완료 sold; hidden by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    OnSale,
    Reserved,
    Sold,
    Hidden,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 4] =
        [ProductStatus::OnSale, ProductStatus::Reserved, ProductStatus::Sold, ProductStatus::Hidden];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnSale => "on_sale",
            Self::Reserved => "reserved",
            Self::Sold => "sold",
            Self::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

crate::text_enum!(ProductStatus);

impl AsRef<str> for StyleTag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Outer dimensions in centimetres.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimensions {
    #[schema(example = 210, minimum = 1, maximum = 1000)]
    pub width_cm: Option<i32>,
    #[schema(example = 90, minimum = 1, maximum = 1000)]
    pub depth_cm: Option<i32>,
    #[schema(example = 85, minimum = 1, maximum = 1000)]
    pub height_cm: Option<i32>,
}

/// One style tag as sent: letters, digits and dashes (checked and lower-cased by `check_tags`).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct StyleTag(pub String);

// By hand: utoipa's derive takes no pattern on a newtype.
impl utoipa::PartialSchema for StyleTag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new().schema_type(Type::String).pattern(Some("TAG")).examples(["modern"]).build().into()
    }
}

impl ToSchema for StyleTag {}

pub const MAX_PRICE: i64 = 1_000_000_000;
pub const MAX_TAGS: usize = 10;

pub fn check_title(v: &str, errors: &mut Vec<FieldError>) -> String {
    let t = v.trim();
    let n = t.chars().count();
    if !(2..=100).contains(&n) {
        errors.push(FieldError::new("title", "must be 2 to 100 characters"));
    } else if let Some(why) = one_line_problem(t) {
        errors.push(FieldError::new("title", why));
    }
    t.to_string()
}

pub fn check_description(v: &str, errors: &mut Vec<FieldError>) -> String {
    if v.chars().count() > 5000 {
        errors.push(FieldError::new("description", "must be at most 5000 characters"));
    } else if let Some(why) = multi_line_problem(v) {
        errors.push(FieldError::new("description", why));
    }
    v.trim().to_string()
}

pub fn check_price(v: i64, errors: &mut Vec<FieldError>) {
    if !(0..=MAX_PRICE).contains(&v) {
        errors.push(FieldError::new("price", format!("must be 0 to {MAX_PRICE} KRW")));
    }
}

pub fn check_quantity(v: i32, errors: &mut Vec<FieldError>) {
    if !(1..=1000).contains(&v) {
        errors.push(FieldError::new("quantity", "must be 1 to 1000"));
    }
}

pub fn check_dimensions(d: &Dimensions, weight_kg: Option<i32>, errors: &mut Vec<FieldError>) {
    for (name, v) in [
        ("dimensions.width_cm", d.width_cm),
        ("dimensions.depth_cm", d.depth_cm),
        ("dimensions.height_cm", d.height_cm),
    ] {
        if v.is_some_and(|v| !(1..=1000).contains(&v)) {
            errors.push(FieldError::new(name, "must be 1 to 1000 cm"));
        }
    }
    if weight_kg.is_some_and(|w| !(1..=2000).contains(&w)) {
        errors.push(FieldError::new("weight_kg", "must be 1 to 2000 kg"));
    }
}

pub fn check_area(v: &str, errors: &mut Vec<FieldError>) -> String {
    let a = v.trim();
    if !(1..=50).contains(&a.chars().count()) {
        errors.push(FieldError::new("area", "must be 1 to 50 characters, e.g. 마포구"));
    } else if let Some(why) = one_line_problem(a) {
        errors.push(FieldError::new("area", why));
    }
    a.to_string()
}

/// Style tags: lower-cased, letters/digits/hyphens only, at most 10, duplicates dropped.
pub fn check_tags<T: AsRef<str>>(tags: &[T], errors: &mut Vec<FieldError>) -> Vec<String> {
    if tags.len() > MAX_TAGS {
        errors.push(FieldError::new("style_tags", format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let t = t.as_ref().trim().to_lowercase();
        if !is_tag(&t) {
            errors.push(FieldError::new(format!("style_tags[{i}]"), "must be 1 to 30 letters, digits or hyphens"));
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

pub fn is_tag(t: &str) -> bool {
    (1..=30).contains(&t.chars().count()) && t.chars().all(|c| c.is_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        let mut e = vec![];
        let tags = check_tags(&["Modern", "modern", "북유럽"], &mut e);
        assert_eq!(tags, ["modern", "북유럽"]);
        assert!(e.is_empty());
        check_tags(&["a b", "%"], &mut e);
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn bounds() {
        let mut e = vec![];
        check_price(-1, &mut e);
        check_price(MAX_PRICE + 1, &mut e);
        check_quantity(0, &mut e);
        check_dimensions(&Dimensions { width_cm: Some(0), depth_cm: None, height_cm: Some(5000) }, Some(0), &mut e);
        let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["price", "price", "quantity", "dimensions.width_cm", "dimensions.height_cm", "weight_kg"]);
    }
}
