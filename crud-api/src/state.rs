//! Shared application state handed to every handler: the wiring. Flows never see it; each
//! gets its own service (`Sessions`, `Photos`, `Orders`, `Payments`, the analysis `Worker`).

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::catalogue::media::image_store::ImageStore;
use crate::catalogue::media::photos::Photos;
use crate::identity::jwt::JwtKeys;
use crate::identity::oidc::Providers;
use crate::identity::session::Sessions;
use crate::notifications::Notifier;
use crate::orders::flow::Orders;
use crate::payments::flow::Payments;
use crate::platform::config::Config;
use crate::platform::db::Db;
use crate::platform::metrics::Metrics;
use crate::platform::ratelimit::RateLimiter;
use crate::platform::shared_limit::SharedLimiter;

pub struct Limits {
    /// Per replica (a flood guard; see `platform::shared_limit`).
    pub per_ip: RateLimiter,
    /// Sign-in attempts per account, across replicas.
    pub per_account: SharedLimiter,
    /// Wrong delivery codes per order, across replicas.
    pub delivery_codes: SharedLimiter,
    /// Position reports per rider.
    pub rider_location: RateLimiter,
    /// Notification stream tickets per user.
    pub stream_tickets: RateLimiter,
    /// Verification emails per account, across replicas.
    pub verification_emails: SharedLimiter,
}

impl Limits {
    pub fn new(cfg: &Config, db: &Db) -> Self {
        Self {
            per_ip: RateLimiter::new(cfg.rate_limit_per_ip_per_min, Duration::from_secs(60)),
            per_account: SharedLimiter::new(
                db.clone(),
                cfg.rate_limit_per_account_per_15min,
                Duration::from_secs(15 * 60),
            ),
            delivery_codes: SharedLimiter::new(db.clone(), 5, Duration::from_secs(15 * 60)),
            rider_location: RateLimiter::new(5, Duration::from_secs(10)),
            stream_tickets: RateLimiter::new(cfg.rate_limit_stream_tickets_per_min, Duration::from_secs(60)),
            verification_emails: SharedLimiter::new(
                db.clone(),
                cfg.rate_limit_verification_emails_per_hour,
                Duration::from_secs(3600),
            ),
        }
    }
}

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub keys: Arc<JwtKeys>,
    pub limits: Limits,
    pub oidc: Providers,
    pub metrics: Metrics,
    /// Verified against when an email is unknown, so timing doesn't reveal accounts.
    pub dummy_hash: String,
    pub images: ImageStore,
    /// The absolute URLs responses give for stored photos (`PUBLIC_BASE_URL` or `IMAGE_BASE_URL`).
    pub image_urls: crate::catalogue::http::image_urls::ImageUrls,
    pub notifier: Notifier,
    /// This replica's open notification streams and their poller.
    pub streams: Arc<crate::notifications::streams::StreamHub>,
    /// The tenant's payment and recommendation strategies.
    pub plugins: Arc<plugin_host::Registry>,
    pub gateways: crate::payments::Gateways,
    /// The sandbox gateway itself (tests count its captures).
    pub sandbox: Arc<crate::payments::sandbox::SandboxGateway>,
    /// dl-api, when `DL_API_URL` is set.
    pub dl: Option<crate::ml::DlClient>,
    /// The category tree, in memory (changes only through the admin endpoints).
    pub categories: Arc<crate::catalogue::category_cache::CategoryCache>,
    /// The on-sale listings recommendations rank, shared by every request.
    pub candidates: Arc<crate::recommendations::candidates::Candidates>,
    /// Product embeddings for visual similarity and style match.
    pub index: Arc<crate::recommendations::EmbeddingIndex>,
    /// Listing text embeddings, the semantic half of search.
    pub text_index: Arc<crate::catalogue::semantic::TextIndex>,
    /// The database's last answer to the background probe (what `/readyz` says).
    pub readiness: Arc<crate::platform::readiness::DbProbe>,
    /// Turns true when shutdown starts: event streams end (with a retry hint) so the server
    /// can drain.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    // The features' flows, each holding only what it needs.
    pub sessions: Sessions,
    /// Email verification links (issued at sign-up and on request).
    pub verification: crate::identity::verification::EmailVerification,
    pub photos: Photos,
    pub orders: Orders,
    pub payments: Payments,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
