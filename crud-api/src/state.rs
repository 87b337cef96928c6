//! Shared application state handed to every handler.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::catalogue::media::image_store::ImageStore;
use crate::catalogue::media::images::ImageLimits;
use crate::identity::jwt::JwtKeys;
use crate::identity::oidc::Providers;
use crate::notifications::Notifier;
use crate::platform::config::Config;
use crate::platform::db::Db;
use crate::platform::metrics::Metrics;
use crate::platform::ratelimit::RateLimiter;

pub struct Limits {
    pub per_ip: RateLimiter,
    pub per_account: RateLimiter,
    /// Wrong delivery codes per order.
    pub delivery_codes: RateLimiter,
    /// Position reports per rider.
    pub rider_location: RateLimiter,
}

impl Limits {
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            per_ip: RateLimiter::new(cfg.rate_limit_per_ip_per_min, Duration::from_secs(60)),
            per_account: RateLimiter::new(cfg.rate_limit_per_account_per_15min, Duration::from_secs(15 * 60)),
            delivery_codes: RateLimiter::new(5, Duration::from_secs(15 * 60)),
            rider_location: RateLimiter::new(5, Duration::from_secs(10)),
        }
    }
}

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub keys: JwtKeys,
    pub limits: Limits,
    pub oidc: Providers,
    pub metrics: Metrics,
    /// Verified against when an email is unknown, so timing doesn't reveal accounts.
    pub dummy_hash: String,
    pub images: ImageStore,
    pub notifier: Notifier,
    /// The tenant's payment and recommendation strategies.
    pub plugins: Arc<plugin_host::Registry>,
    pub gateways: crate::payments::Gateways,
    /// The sandbox gateway itself (tests count its captures).
    pub sandbox: Arc<crate::payments::sandbox::SandboxGateway>,
    /// dl-api, when `DL_API_URL` is set.
    pub dl: Option<crate::recommendations::DlClient>,
    /// Product embeddings for visual similarity and style match.
    pub index: Arc<crate::recommendations::EmbeddingIndex>,
}

impl Inner {
    pub fn image_limits(&self) -> ImageLimits {
        ImageLimits {
            max_bytes: self.config.max_image_bytes,
            max_side: self.config.max_image_side,
            ..ImageLimits::default()
        }
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
