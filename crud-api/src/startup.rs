//! Builds the application from a `Config`: database, keys, bootstrap admin, router, listener.
//! Tests bind port 0 and read the port back.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::catalogue::http::image_urls::ImageUrls;
use crate::catalogue::media::decode_budget::{self, DecodeBudget};
use crate::catalogue::media::image_store::{Bucket, ImageStore};
use crate::catalogue::media::images::ImageLimits;
use crate::catalogue::media::photos::Photos;
use crate::catalogue::store::categories;
use crate::identity::jwt::{self, JwtKeys};
use crate::identity::oidc::Providers;
use crate::identity::session::Sessions;
use crate::identity::store::{oauth_states, refresh_tokens, users};
use crate::identity::{
    email::Email,
    password::{self, Password},
};
use crate::notifications::{Notifier, OutboxPushSender};
use crate::orders::flow::Orders;
use crate::payments::flow::Payments;
use crate::platform::config::Config;
use crate::platform::metrics::Metrics;
use crate::platform::{db::Db, idempotency::store as idempotency};
use crate::recommendations::worker::{Settings, Worker};
use crate::state::{AppState, Inner, Limits};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(config.addr).await.with_context(|| format!("cannot listen on {}", config.addr))?;
        Self::build_with_listener(config, listener).await
    }

    /// As `build`, on a listener bound by the caller (tests bind port 0 first, to know the
    /// public URL before the app is built).
    pub async fn build_with_listener(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let acquire = Duration::from_millis(config.database_acquire_timeout_ms.max(1));
        let db = Db::connect(&config.database_url, config.database_max_connections, acquire)
            .await
            .context("cannot open the database")?;
        let keys = load_keys(&config)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gajyeogagu-crud-api/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let oidc = Providers::from_config(&config, &http);
        let plugin_metrics = plugin_host::registry::PluginMetrics::new();
        let engine = Arc::new(
            plugin_host::PluginEngine::new(Some(config.plugin_cache_dir.clone()))
                .map_err(|e| anyhow::anyhow!("plugin engine: {e}"))?,
        );
        let sandbox =
            Arc::new(crate::payments::sandbox::SandboxGateway::new(config.sandbox_webhook_secret.clone(), db.clone()));
        let mut gateways = crate::payments::Gateways::default().with(sandbox.clone());
        if let Some(key) = &config.toss_secret_key {
            gateways = gateways.with(Arc::new(crate::payments::toss::TossGateway::new(
                &config.toss_api_base,
                key,
                http.clone(),
            )));
        }
        let plugins = Arc::new(
            plugin_host::Registry::new(engine, config.plugins_config.clone(), plugin_metrics.clone())
                .with_plan_rules(gateways.plan_rules()),
        );
        // Candidates compile on this thread after start-up, not before readiness.
        let reload_every = (config.plugin_reload_secs > 0 && config.plugins_config.is_some())
            .then(|| Duration::from_secs(config.plugin_reload_secs));
        plugins.start(reload_every);
        let dummy_hash = tokio::task::spawn_blocking(password::dummy_hash).await?;
        let images = match &config.s3_bucket {
            Some(bucket) => ImageStore::object(Bucket {
                bucket,
                endpoint: config.s3_endpoint.as_deref(),
                region: &config.s3_region,
                access_key_id: config.s3_access_key_id.as_ref(),
                secret_access_key: config.s3_secret_access_key.as_ref(),
            })
            .await
            .with_context(|| format!("cannot use the S3 bucket {bucket}"))?,
            None => ImageStore::new(&config.image_dir)
                .with_context(|| format!("cannot create IMAGE_DIR {}", config.image_dir.display()))?,
        };
        let dl = match &config.dl_api_url {
            Some(url) => Some(crate::ml::DlClient::new(
                url,
                config.dl_api_key.clone().unwrap_or_else(|| crate::platform::secret::Secret::new("")),
                Duration::from_secs(config.ml_timeout_secs.max(1)),
            )?),
            None => None,
        };
        let keys = Arc::new(keys);
        let mut metrics = Metrics::with_plugins(&plugin_metrics);
        let notifier = Notifier::new(db.clone(), Arc::new(OutboxPushSender));
        let sessions = Sessions::new(
            db.clone(),
            keys.clone(),
            config.access_token_ttl_secs,
            config.refresh_token_ttl_secs,
            metrics.refresh_reuse.clone(),
        );
        let image_limits = ImageLimits {
            max_bytes: config.max_image_bytes,
            max_side: config.max_image_side,
            ..ImageLimits::default()
        };
        let decode_budget = match config.image_decode_budget_mb {
            0 => decode_budget::default_budget_bytes(),
            mb => mb * 1024 * 1024,
        };
        let decode_budget = DecodeBudget::new(decode_budget, decode_budget::DEFAULT_WAIT);
        let budget_total = prometheus_client::metrics::gauge::Gauge::default();
        budget_total.set(decode_budget.total_bytes() as i64);
        metrics.register_gauge("image_decode_budget_bytes", "Memory photo decoding may hold at once", budget_total);
        metrics.register_gauge(
            "image_decode_reserved_bytes",
            "Memory reserved by photo decodes in progress",
            decode_budget.in_use.clone(),
        );
        metrics.register_gauge(
            "image_decode_reserved_peak_bytes",
            "Most memory ever reserved by photo decodes at once",
            decode_budget.peak.clone(),
        );
        let mail = crate::identity::mail::from_config(
            config.mail_smtp_url.as_ref().map(|s| s.expose()),
            &config.mail_from,
            &config.mail_dir,
        )?;
        let link_base = config
            .email_verification_url
            .clone()
            .unwrap_or_else(|| format!("{}/verify-email", config.public_base_url.trim_end_matches('/')));
        let verification = crate::identity::verification::EmailVerification::new(db.clone(), mail, link_base);
        let streams = crate::notifications::streams::StreamHub::new(config.notification_streams_per_user);
        metrics.register_gauge("notification_streams_open", "Notification streams open", streams.open.clone());
        let photos = Photos::new(db.clone(), images.clone(), image_limits, decode_budget);
        let orders = Orders::new(db.clone(), Arc::new(notifier.clone()));
        let readiness = Arc::new(crate::platform::readiness::DbProbe::new(db.clone()));
        let payments = Payments::new(db.clone(), plugins.clone(), gateways.clone(), orders.clone());
        let categories = crate::catalogue::category_cache::CategoryCache::new(db.clone());
        // Clients put these URLs in `<img src>` and redirects as they are: a base that is not an
        // absolute http(s) URL would give every response a broken link.
        for (name, base) in
            [("PUBLIC_BASE_URL", Some(&config.public_base_url)), ("IMAGE_BASE_URL", config.image_base_url.as_ref())]
        {
            if let Some(base) = base.filter(|b| !b.trim().is_empty()) {
                let parsed = reqwest::Url::parse(base.trim()).map_err(|e| anyhow::anyhow!("{name}={base:?}: {e}"))?;
                anyhow::ensure!(["http", "https"].contains(&parsed.scheme()), "{name}={base:?}: not an http(s) URL");
            }
        }
        let image_urls = ImageUrls::new(&config.public_base_url, config.image_base_url.as_deref());
        let state = AppState(Arc::new(Inner {
            limits: Limits::new(&config, &db),
            metrics,
            config,
            db,
            keys,
            oidc,
            dummy_hash,
            images,
            image_urls,
            notifier,
            streams,
            plugins,
            gateways,
            sandbox,
            dl,
            categories,
            candidates: Arc::default(),
            index: Arc::new(crate::recommendations::EmbeddingIndex::default()),
            text_index: Arc::new(crate::catalogue::semantic::TextIndex::default()),
            readiness,
            shutdown: tokio::sync::watch::Sender::new(false),
            sessions,
            verification,
            photos,
            orders,
            payments,
        }));
        // Replicas starting together seed once: one at a time, each seeing the others' work.
        state
            .db
            .with_setup_lock(async {
                bootstrap_admin(&state).await?;
                if categories::seed_defaults(&state.db).await? {
                    tracing::info!("seeded the default category tree");
                }
                if state.config.demo_data {
                    crate::demo::seed(&state).await?;
                }
                anyhow::Ok(())
            })
            .await?;
        let indexed = state.index.reload(&state.db).await?;
        tracing::info!(
            addr = %listener.local_addr()?,
            backend = state.db.backend(),
            kid = state.keys.current_kid(),
            oidc = ?state.oidc.names(),
            gateways = ?state.gateways.names(),
            plugins = ?state.plugins.digests(),
            dl_api = state.config.dl_api_url.as_deref().unwrap_or("off"),
            indexed,
            "crud-api ready"
        );
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests and closes the pool.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let state = self.state.clone();
        let janitor = tokio::spawn(purge_expired(state.clone()));
        let sweeper = tokio::spawn(sweep_reservations(state.clone()));
        let reconciler = tokio::spawn(reconcile_payments(state.clone()));
        let index_sync = tokio::spawn(sync_index(state.clone()));
        let text_index = tokio::spawn(refresh_text_index(state.clone()));
        let probe = state.readiness.clone();
        let prober = tokio::spawn(async move { probe.run().await });
        let worker = tokio::spawn(
            Worker {
                db: state.db.clone(),
                dl: state.dl.clone(),
                images: state.images.clone(),
                index: state.index.clone(),
                settings: Settings::from_config(&state.config),
                jobs: state.metrics.ml_jobs.clone(),
                indexed: state.metrics.ml_indexed.clone(),
            }
            .run(),
        );
        let photos = tokio::spawn(clean_stored_photos(state.clone()));
        let streams = tokio::spawn(state.streams.clone().run(state.db.clone(), state.notifier.wake.clone()));
        let app = crate::http::router(state.clone());
        let draining = state.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: ending event streams, draining requests");
            draining.shutdown.send_replace(true);
        };
        let mut stopping = state.shutdown.subscribe();
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let serve = axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal);
        tokio::select! {
            served = serve => served?,
            _ = async {
                let _ = stopping.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; exiting"),
        }
        janitor.abort();
        sweeper.abort();
        reconciler.abort();
        index_sync.abort();
        text_index.abort();
        prober.abort();
        worker.abort();
        photos.abort();
        streams.abort();
        state.db.close().await;
        tracing::info!("crud-api stopped");
        Ok(())
    }
}

/// Photos stored before renditions were clean lose their metadata (see `media::sanitize`).
async fn clean_stored_photos(state: AppState) {
    if let Err(e) =
        crate::catalogue::media::sanitize::clean_stored_photos(&state.db, &state.images, state.photos.limits()).await
    {
        tracing::warn!(error = %e, "cleaning stored photos stopped; the next start-up resumes it");
    }
}

/// The signing key: explicit file, or for a file-backed SQLite database a key file generated
/// next to it on first run (so `make run` needs no set-up).
fn load_keys(cfg: &Config) -> anyhow::Result<JwtKeys> {
    let current = match (&cfg.jwt_signing_key_file, Db::sqlite_file(&cfg.database_url)) {
        (Some(path), _) => jwt::pem_decode(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read JWT_SIGNING_KEY_FILE {}", path.display()))?,
        )?,
        (None, Some(db_file)) => {
            let dir = db_file.parent().map(|d| d.to_path_buf()).unwrap_or_default();
            jwt::load_or_create_key_file(&dir.join("jwt-signing-key.pem"))?
        }
        (None, None) => anyhow::bail!(
            "JWT_SIGNING_KEY_FILE is required unless DATABASE_URL is a SQLite file \
             (create one with: openssl genpkey -algorithm ed25519 -out jwt.pem)"
        ),
    };
    let previous = cfg
        .jwt_previous_key_files
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read previous key {}", p.display()))
                .and_then(|pem| jwt::pem_decode(&pem))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    JwtKeys::new(&current, &previous, &cfg.jwt_issuer)
}

/// `ADMIN_EMAIL` + `ADMIN_PASSWORD` create or reset the admin. With neither set and no admin
/// in the database, one is created with a random password, printed once.
async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    let cfg = &state.config;
    match (&cfg.admin_email, &cfg.admin_password) {
        (Some(email), Some(pw)) => {
            let email = Email::parse(email).map_err(|m| anyhow::anyhow!("ADMIN_EMAIL {m}"))?;
            let pw = Password::parse(pw.expose()).map_err(|m| anyhow::anyhow!("ADMIN_PASSWORD {m}"))?;
            let hash = password::hash_blocking(pw.expose().to_string()).await?;
            let admin = users::upsert_admin(&state.db, email.as_str(), &hash).await?;
            tracing::info!(admin = %admin.id, email = %email, "bootstrap admin ensured");
        }
        (None, None) => {
            if !users::any_admin(&state.db).await? {
                let email = "admin@gajyeogagu.local";
                let pw = crate::identity::session::random_password();
                let hash = password::hash_blocking(pw.clone()).await?;
                users::upsert_admin(&state.db, email, &hash).await?;
                // Printed, not logged: it must not end up in log aggregation.
                println!("\n  Bootstrap admin created (shown once):\n    email:    {email}\n    password: {pw}\n");
            }
        }
        _ => anyhow::bail!("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither"),
    }
    Ok(())
}

/// Hourly clean-up of expired refresh tokens, abandoned OAuth states and verification links.
async fn purge_expired(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = chrono::Utc::now();
        let tokens = refresh_tokens::purge_expired(&state.db, now - chrono::Duration::days(1)).await;
        let states = oauth_states::purge_expired(&state.db, now).await;
        let keys = idempotency::purge(&state.db, now - chrono::Duration::hours(48)).await;
        let limits = crate::platform::shared_limit::purge(&state.db, now - chrono::Duration::days(1)).await;
        let links = crate::identity::store::email_verifications::purge_expired(&state.db, now).await;
        tracing::debug!(
            ?tokens,
            ?states,
            ?links,
            ?keys,
            ?limits,
            "purged expired sessions, idempotency keys and rate-limit counters"
        );
    }
}

/// Releases items of unpaid orders whose reservation ran out.
async fn sweep_reservations(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(state.config.reservation_sweep_secs.max(1)));
    loop {
        tick.tick().await;
        if let Err(e) = state.orders.expire_reservations(chrono::Utc::now()).await {
            tracing::warn!(error = %e, "reservation sweep failed");
        }
    }
}

/// Settles payments that a crash or a gateway timeout left `confirming` (see
/// `Payments::reconcile`); every replica runs it, and each payment is taken by one.
async fn reconcile_payments(state: AppState) {
    let after = Duration::from_secs(state.config.payment_reconcile_after_secs);
    let mut tick = tokio::time::interval(Duration::from_secs(state.config.payment_reconcile_every_secs.max(1)));
    loop {
        tick.tick().await;
        if let Err(e) = state.payments.reconcile(after).await {
            tracing::warn!(error = %e, "payment reconciliation failed");
        }
    }
}

/// Brings other replicas' new embeddings into this replica's index every second (see
/// `EmbeddingIndex::sync`).
async fn sync_index(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.index.sync(&state.db, Duration::from_secs(3)).await {
            Ok(0) => {}
            Ok(_) => {
                state.metrics.ml_indexed.set(state.index.len() as i64);
            }
            Err(e) => tracing::debug!(error = %e, "embedding index sync failed; the next poll retries"),
        }
    }
}

/// Keeps the listing text embeddings of semantic search current (`catalogue::semantic`):
/// every few seconds, re-embeds what was listed or edited since. Only with dl-api.
async fn refresh_text_index(state: AppState) {
    let Some(dl) = state.dl.clone() else { return };
    let mut tick = tokio::time::interval(TEXT_INDEX_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.text_index.refresh(&state.db, &dl).await {
            Ok(r) if r.embedded > 0 || r.removed > 0 => tracing::info!(
                embedded = r.embedded,
                removed = r.removed,
                total = r.total,
                "search text index refreshed"
            ),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "search text index refresh failed; the next round retries"),
        }
    }
}

/// How often the search text index looks for new and edited listings.
const TEXT_INDEX_EVERY: Duration = Duration::from_secs(5);

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received; draining");
}
