//! Configuration from command-line flags and the environment (`crud-api --help` lists both).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::platform::secret::Secret;

#[derive(Debug, Clone, Parser)]
#[command(name = "crud-api", version, about = "Gajyeogagu marketplace REST API (port 8001)")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CRUD_API_ADDR", default_value = "0.0.0.0:8001")]
    pub addr: SocketAddr,

    /// Database: `sqlite://path/to/file.db` (embedded default) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/gajyeogagu.db")]
    pub database_url: String,

    /// Largest connection pool size.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// How long a request waits for a database connection before answering 503, in
    /// milliseconds: short, so an outage or overload answers at once instead of hanging.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 500)]
    pub database_acquire_timeout_ms: u64,

    /// After SIGTERM: how long in-flight requests may take to finish before the process exits
    /// anyway, in seconds (below Kubernetes' 30 s termination grace period). Event streams end
    /// at once with a retry hint.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// PEM (PKCS#8) Ed25519 key that signs access tokens. Default for SQLite: a key file
    /// generated on first run next to the database. PostgreSQL deployments must set it.
    #[arg(long, env = "JWT_SIGNING_KEY_FILE")]
    pub jwt_signing_key_file: Option<PathBuf>,

    /// Earlier signing keys (PEM, comma-separated) still accepted for verification, so a key
    /// rotation does not log everybody out.
    #[arg(long, env = "JWT_PREVIOUS_KEY_FILES", value_delimiter = ',')]
    pub jwt_previous_key_files: Vec<PathBuf>,

    /// `iss` of the tokens this service issues.
    #[arg(long, env = "JWT_ISSUER", default_value = "gajyeogagu")]
    pub jwt_issuer: String,

    /// Access token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Refresh token lifetime in seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Bootstrap admin: created, or its password reset, at start-up when both are set.
    #[arg(long, env = "ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Bootstrap admin password (`file:/path` reads it from a file).
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,

    /// Origins allowed by CORS (comma-separated); empty allows none, `*` allows any.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Login/refresh attempts allowed per client IP per minute (0 disables the limit).
    #[arg(long, env = "RATE_LIMIT_PER_IP_PER_MIN", default_value_t = 60)]
    pub rate_limit_per_ip_per_min: u32,

    /// Login/refresh attempts allowed per account per 15 minutes (0 disables the limit).
    #[arg(long, env = "RATE_LIMIT_PER_ACCOUNT_PER_15MIN", default_value_t = 20)]
    pub rate_limit_per_account_per_15min: u32,

    /// Notification stream tickets a user may ask for per minute (0 disables the limit).
    #[arg(long, env = "RATE_LIMIT_STREAM_TICKETS_PER_MIN", default_value_t = 20)]
    pub rate_limit_stream_tickets_per_min: u32,

    /// Verification emails an account may ask for per hour (0 disables the limit).
    #[arg(long, env = "RATE_LIMIT_VERIFICATION_EMAILS_PER_HOUR", default_value_t = 5)]
    pub rate_limit_verification_emails_per_hour: u32,

    /// How many reverse proxies in front of this API append to `X-Forwarded-For`: `false`
    /// (none: limit by the socket peer), `true` (one), or a number. The client is that many
    /// entries from the right; whatever the client wrote further left is never believed.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value = "false")]
    pub trust_forwarded_for: ProxyHops,

    /// Public base URL of this API, as clients reach it: OAuth redirect URIs and the absolute
    /// image URLs in responses (`PUBLIC_BASE_URL/api/v1/images/{key}`) are built from it.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://localhost:8001")]
    pub public_base_url: String,

    /// Where clients fetch photos instead of this API: a CDN or the bucket's public address.
    /// Image URLs are then `IMAGE_BASE_URL/{key}` (the key is the object's name in the bucket).
    #[arg(long, env = "IMAGE_BASE_URL")]
    pub image_base_url: Option<String>,

    /// After social login, redirect here with the tokens in the URL fragment instead of
    /// answering JSON.
    #[arg(long, env = "OAUTH_FRONTEND_REDIRECT")]
    pub oauth_frontend_redirect: Option<String>,

    /// Outgoing mail (verification links): `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://relay:25`. Unset: each
    /// message is written as an `.eml` file under `MAIL_DIR` instead (`file:/path` reads the URL
    /// from a file: it may carry a password).
    #[arg(long, env = "MAIL_SMTP_URL", hide_env_values = true)]
    pub mail_smtp_url: Option<Secret>,

    /// The sender of outgoing mail.
    #[arg(long, env = "MAIL_FROM", default_value = "Gajyeogagu <no-reply@gajyeogagu.io>")]
    pub mail_from: String,

    /// Where messages are written when `MAIL_SMTP_URL` is unset.
    #[arg(long, env = "MAIL_DIR", default_value = "data/mail")]
    pub mail_dir: std::path::PathBuf,

    /// The frontend page an emailed verification link opens, with `?token=…` appended; the page
    /// posts the token to `POST /api/v1/auth/verify-email`. Default: `PUBLIC_BASE_URL/verify-email`.
    #[arg(long, env = "EMAIL_VERIFICATION_URL")]
    pub email_verification_url: Option<String>,

    /// Google OpenID Connect issuer.
    #[arg(long, env = "OIDC_GOOGLE_ISSUER", default_value = "https://accounts.google.com")]
    pub google_issuer: String,
    /// Google OAuth client id (Google login is off when unset).
    #[arg(long, env = "OIDC_GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,
    /// Google OAuth client secret (`file:/path` reads it from a file).
    #[arg(long, env = "OIDC_GOOGLE_CLIENT_SECRET", hide_env_values = true)]
    pub google_client_secret: Option<Secret>,

    /// Kakao OpenID Connect issuer.
    #[arg(long, env = "OIDC_KAKAO_ISSUER", default_value = "https://kauth.kakao.com")]
    pub kakao_issuer: String,
    /// Kakao REST API key used as client id (Kakao login is off when unset).
    #[arg(long, env = "OIDC_KAKAO_CLIENT_ID")]
    pub kakao_client_id: Option<String>,
    /// Kakao client secret (`file:/path` reads it from a file).
    #[arg(long, env = "OIDC_KAKAO_CLIENT_SECRET", hide_env_values = true)]
    pub kakao_client_secret: Option<Secret>,

    /// Directory for uploaded images (content-addressed files), when `S3_BUCKET` is unset: the
    /// embedded default, for one replica.
    #[arg(long, env = "IMAGE_DIR", default_value = "data/images")]
    pub image_dir: std::path::PathBuf,

    /// Photos on S3-compatible object storage, shared by every replica: the bucket (it must
    /// exist). Unset: `IMAGE_DIR`.
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The S3 endpoint (`http://minio:9000`, `https://s3.ap-northeast-2.amazonaws.com`); path-style
    /// requests.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    #[arg(long, env = "S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<Secret>,

    /// (`file:/path` reads it from a file.)
    #[arg(long, env = "S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<Secret>,

    /// Largest accepted image file in bytes.
    #[arg(long, env = "MAX_IMAGE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_image_bytes: usize,

    /// Largest accepted image side in pixels (bigger images are refused before decoding).
    #[arg(long, env = "MAX_IMAGE_SIDE", default_value_t = 8000)]
    pub max_image_side: u32,

    /// Notification streams one user may hold open on one replica; opening another ends the
    /// oldest.
    #[arg(long, env = "NOTIFICATION_STREAMS_PER_USER", default_value_t = 5)]
    pub notification_streams_per_user: usize,

    /// Memory photo decoding may hold at once in this replica, in MiB (0: a quarter of the
    /// container's memory limit, 256 MiB to 2 GiB; 512 MiB without a limit). Uploads beyond it
    /// wait, then get 503 with `Retry-After`.
    #[arg(long, env = "IMAGE_DECODE_BUDGET_MB", default_value_t = 0)]
    pub image_decode_budget_mb: u64,

    /// How long checkout reserves items for payment, in seconds.
    #[arg(long, env = "RESERVATION_TTL_SECS", default_value_t = 15 * 60)]
    pub reservation_ttl_secs: u64,

    /// How often expired reservations are released, in seconds.
    #[arg(long, env = "RESERVATION_SWEEP_SECS", default_value_t = 30)]
    pub reservation_sweep_secs: u64,

    /// A payment still `confirming` after this many seconds is settled by the reconciler, which
    /// asks its gateway what happened (longer than any gateway call: 10 s timeout).
    #[arg(long, env = "PAYMENT_RECONCILE_AFTER_SECS", default_value_t = 60)]
    pub payment_reconcile_after_secs: u64,

    /// How often the payment reconciler looks, in seconds.
    #[arg(long, env = "PAYMENT_RECONCILE_EVERY_SECS", default_value_t = 15)]
    pub payment_reconcile_every_secs: u64,

    /// The tenant's strategy plugins (JSON; see docs/plugins.md). Unset: built-in strategies.
    #[arg(long, env = "PLUGINS_CONFIG")]
    pub plugins_config: Option<std::path::PathBuf>,

    /// Where precompiled plugins are cached between runs.
    #[arg(long, env = "PLUGIN_CACHE_DIR", default_value = "data/plugin-cache")]
    pub plugin_cache_dir: std::path::PathBuf,

    /// How often the plugins file and modules are checked for changes, in seconds (0: never).
    #[arg(long, env = "PLUGIN_RELOAD_SECS", default_value_t = 2)]
    pub plugin_reload_secs: u64,

    /// Secret that signs sandbox gateway webhooks (HMAC-SHA256, header X-Sandbox-Signature).
    #[arg(long, env = "SANDBOX_WEBHOOK_SECRET", default_value = "sandbox-webhook-secret", hide_default_value = true)]
    pub sandbox_webhook_secret: crate::platform::secret::Secret,

    /// Toss Payments secret key (`file:/path` reads it); enables the `toss` gateway.
    #[arg(long, env = "TOSS_SECRET_KEY", hide_env_values = true)]
    pub toss_secret_key: Option<crate::platform::secret::Secret>,

    /// Toss Payments API base URL.
    #[arg(long, env = "TOSS_API_BASE", default_value = "https://api.tosspayments.com")]
    pub toss_api_base: String,

    /// dl-api base URL (e.g. `http://127.0.0.1:8002`); enables photo analysis and style match.
    #[arg(long, env = "DL_API_URL")]
    pub dl_api_url: Option<String>,

    /// Key crud-api presents to dl-api (`file:/path` reads it from a file).
    #[arg(long, env = "DL_API_KEY", hide_env_values = true)]
    pub dl_api_key: Option<crate::platform::secret::Secret>,

    /// Run the photo-analysis worker in this instance (needs DL_API_URL).
    #[arg(long, env = "ML_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub ml_worker: bool,

    /// How often an idle worker looks for new analysis jobs, in milliseconds.
    #[arg(long, env = "ML_POLL_MS", default_value_t = 1000)]
    pub ml_poll_ms: u64,

    /// Attempts before an analysis job is given up.
    #[arg(long, env = "ML_MAX_ATTEMPTS", default_value_t = 8)]
    pub ml_max_attempts: i32,

    /// First retry delay after a failed analysis, in milliseconds; doubles per attempt (max 5 min).
    #[arg(long, env = "ML_BACKOFF_MS", default_value_t = 2000)]
    pub ml_backoff_ms: u64,

    /// Timeout of one dl-api call, in seconds.
    #[arg(long, env = "ML_TIMEOUT_SECS", default_value_t = 30)]
    pub ml_timeout_secs: u64,

    /// How often the embedding index reloads from the database (other instances' work).
    #[arg(long, env = "ML_INDEX_RELOAD_SECS", default_value_t = 60)]
    pub ml_index_reload_secs: u64,

    /// Seed demo listings (a demo seller and ~30 products) into an empty catalogue.
    #[arg(long, env = "DEMO_DATA", default_value_t = false)]
    pub demo_data: bool,

    /// A labelled photo set (`labels.tsv` + `<category>/*.png`, from
    /// scripts/fetch-eval-images.sh) whose renders the demo listings get as photos.
    #[arg(long, env = "DEMO_IMAGES_DIR")]
    pub demo_images_dir: Option<std::path::PathBuf>,

    /// Log format: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

/// The number of trusted proxies in front (`TRUST_FORWARDED_FOR`): `false`/`0` none,
/// `true` one, or a count up to 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHops(pub u8);

impl std::str::FromStr for ProxyHops {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "false" | "no" | "off" | "" => Ok(ProxyHops(0)),
            "true" | "yes" | "on" => Ok(ProxyHops(1)),
            n => match n.parse::<u8>() {
                Ok(n) if n <= 16 => Ok(ProxyHops(n)),
                _ => Err(format!("expected false, true or a number of proxies (0-16), got {s:?}")),
            },
        }
    }
}

impl Config {
    /// `path` (with its query) on this API as clients reach it: the URLs responses give are
    /// absolute, so a page on another origin or a mobile app uses them as they are.
    pub fn public_url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url.trim_end_matches('/'))
    }

    /// Defaults for tests and embedding: every flag at its default, nothing from the
    /// environment.
    pub fn defaults() -> Self {
        let mut cfg = Config::parse_from(["crud-api"]);
        // parse_from still consults the environment; clear what could leak in.
        cfg.admin_email = None;
        cfg.admin_password = None;
        cfg
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
