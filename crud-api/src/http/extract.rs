//! Extractors that turn requests into typed input, with every failure as problem+json.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::identity::role::{Realm, Role};
use crate::platform::error::{ApiError, FieldError};
use crate::state::AppState;

/// `Json<T>` whose rejections are problem+json: 400 malformed, 413 too large,
/// 415 wrong content type, 422 with the offending field for type errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let body = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Malformed(e.body_text())
            }
        })?;
        Self::parse(&body)
    }
}

fn check_json_content_type(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
    });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType("expected Content-Type: application/json".into()))
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// Parses a body already read (handlers that also need the raw bytes, e.g. to hash them).
    pub fn from_parts(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        check_json_content_type(headers)?;
        Self::parse(body)
    }

    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => data_error(&e.to_string()),
            _ => ApiError::Malformed("request body is not valid JSON".into()),
        })?;
        // JSON has one number type: `3.0` is the integer 3 to JSON Schema (and to every
        // generated client that writes numbers as doubles), so it is accepted as one.
        integral_floats_to_integers(&mut value);
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|e| {
            let path = e.path().to_string();
            match path.as_str() {
                // The body itself (a missing or unknown field names itself).
                "." => data_error(&e.into_inner().to_string()),
                _ => data_error(&format!("{path}: {}", e.into_inner())),
            }
        })
    }
}

fn integral_floats_to_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Only exactly representable whole numbers: 2^53 and beyond are already rounded.
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Turns serde's "path: message" into a field error (see `input_errors`).
fn data_error(text: &str) -> ApiError {
    let (field, message) = crate::http::input_errors::field_error(text, "body");
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// `Path<T>` with problem+json rejections (a malformed id is a 400 with the reason).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::Malformed(format!("path: {}", e.body_text())))
    }
}

/// `Multipart` with problem+json rejections (wrong content type → 415, bad framing → 400).
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::multipart::MultipartRejection;
        axum::extract::Multipart::from_request(req, state).await.map(ApiMultipart).map_err(|e| match e {
            MultipartRejection::InvalidBoundary(_) => {
                ApiError::UnsupportedMediaType("expected multipart/form-data with a boundary".into())
            }
            other => ApiError::Malformed(other.body_text()),
        })
    }
}

/// `Query<T>` with problem+json rejections: a parameter the route doesn't take is a 400 (it
/// was silently ignored: `/orders?status=paid` listed every order), a value that doesn't parse
/// a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| ApiQuery(v)).map_err(|e: QueryRejection| {
            let text = e.body_text();
            let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
            match detail.split_once("unknown field ") {
                Some((_, rest)) => ApiError::Malformed(format!(
                    "unknown query parameter {}",
                    rest.replacen(", expected", "; this route takes", 1)
                )),
                None => {
                    let (field, message) = crate::http::input_errors::field_error(detail, "query");
                    ApiError::Validation(vec![FieldError::new(field, message)])
                }
            }
        })
    }
}

/// For optional query strings where empty means absent (`?cursor=` is the first page).
pub fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::MissingToken)?
        .to_str()
        .map_err(|_| ApiError::InvalidToken("malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken("expected Bearer token"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken("expected Bearer token"));
    }
    Ok(token.trim())
}

/// A signed-in user (customer, seller or admin).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    /// When the access token expires (Unix seconds): what a stream it opens lives until.
    pub expires_at: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let claims = state.keys.verify(bearer(parts)?, Realm::User)?;
        // A role this build doesn't know is a token it can't honour (never a silent "customer").
        let role = match claims.role.as_deref() {
            None => Role::Customer,
            Some(r) => Role::parse(r).ok_or(ApiError::InvalidToken("unknown role"))?,
        };
        Ok(AuthUser { id: claims.sub, role, expires_at: claims.exp })
    }
}

/// Optional sign-in on public endpoints: no `Authorization` header is `None`; a header with a
/// bad token is still refused, so clients learn their token is broken.
impl axum::extract::OptionalFromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(None);
        }
        <AuthUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ApiError::Forbidden);
        }
        Ok(AdminUser(user))
    }
}

/// A signed-in rider.
#[derive(Debug, Clone)]
pub struct AuthRider {
    pub id: Uuid,
}

impl FromRequestParts<AppState> for AuthRider {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let claims = state.keys.verify(bearer(parts)?, Realm::Rider)?;
        Ok(AuthRider { id: claims.sub })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_written_as_doubles_are_integers_and_errors_name_the_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Line {
            n: u8,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            quantity: i32,
            lines: Vec<Line>,
        }
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let ApiJson(b) = ApiJson::<Body>::from_parts(&h, br#"{"quantity": 28.0, "lines": [{"n": 2.0}]}"#).unwrap();
        assert_eq!((b.quantity, b.lines[0].n), (28, 2));
        let field = |body: &[u8]| match ApiJson::<Body>::from_parts(&h, body).err().unwrap() {
            ApiError::Validation(f) => (f[0].field.clone(), f[0].message.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(br#"{"quantity": 2.5, "lines": []}"#), ("quantity".into(), "must be a whole number".into()));
        assert_eq!(field(br#"{"quantity": 1, "lines": [{"n": "x"}]}"#).0, "lines[0].n");
        assert!(matches!(ApiJson::<Body>::from_parts(&h, b"{nope"), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn data_errors_name_fields() {
        let e = data_error("Failed to deserialize the JSON body into the target type: name: invalid type: integer `5`, expected a string at line 1 column 10");
        let ApiError::Validation(f) = e else { panic!() };
        assert_eq!(f[0].field, "name");
        let e = data_error(
            "Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2",
        );
        let ApiError::Validation(f) = e else { panic!() };
        assert_eq!(f[0].field, "email");
    }
}
