//! `plugin-runner new`: a standalone plugin project that builds anywhere — outside this
//! repository too — with a working strategy to edit and fixtures that `plugin-runner test`
//! runs under the service's limits (the same fixtures in every language).
//!
//! - Rust: depends on the SDK by path (this checkout's `plugins/guest`, or `--sdk`) or by git
//!   (`--sdk-git`), and carries its own `plugin` build profile.
//! - JavaScript and Python: the strategy (`strategy.js`, `app.py`), a copy of the contract in
//!   `wit/`, and `gajyeogagu-plugin.json`; built by componentize-js / componentize-py (`lang`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::lang::{Lang, Manifest, CONTRACT, MANIFEST};

/// Where the SDK comes from in the new project's Cargo.toml.
pub enum Sdk {
    Path(PathBuf),
    Git(String),
}

impl Sdk {
    fn dependency(&self, krate: &str) -> String {
        match self {
            // Both crates live side by side under `plugins/` in the SDK's repository.
            Sdk::Path(guest) => {
                let dir = if krate == "plugin-guest" { guest.clone() } else { guest.with_file_name("strategies") };
                format!("{krate} = {{ path = {:?} }}", dir.display().to_string())
            }
            Sdk::Git(url) => format!("{krate} = {{ git = {url:?} }}"),
        }
    }
}

/// This checkout's SDK, when the runner was built from it.
pub fn default_sdk() -> Sdk {
    Sdk::Path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest").canonicalize().unwrap_or_default())
}

#[derive(Clone, Copy)]
pub enum World {
    Payment,
    Recommendation,
}

impl World {
    fn wit(self) -> &'static str {
        match self {
            World::Payment => "payment-strategy",
            World::Recommendation => "recommendation-strategy",
        }
    }
}

/// Writes the project into `dir` (which must not exist or be empty).
pub fn new(dir: &Path, name: &str, world: World, lang: Lang, sdk: &Sdk) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        bail!("name {name:?}: lower-case letters, digits and dashes, starting with a letter");
    }
    if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} exists and is not empty", dir.display());
    }
    for sub in ["src", "fixtures", "wit"] {
        let needed = match sub {
            "src" => lang == Lang::Rust,
            "wit" => lang != Lang::Rust,
            _ => true,
        };
        if needed {
            std::fs::create_dir_all(dir.join(sub))?;
        }
    }
    let source = match (world, lang) {
        (World::Payment, Lang::Rust) => PAYMENT_LIB,
        (World::Recommendation, Lang::Rust) => RECOMMEND_LIB,
        (World::Payment, Lang::Js) => include_str!("../templates/payment.js"),
        (World::Recommendation, Lang::Js) => include_str!("../templates/recommend.js"),
        (World::Payment, Lang::Python) => include_str!("../templates/payment.py"),
        (World::Recommendation, Lang::Python) => include_str!("../templates/recommend.py"),
    };
    let fixtures = match world {
        World::Payment => PAYMENT_FIXTURES,
        World::Recommendation => RECOMMEND_FIXTURES,
    };
    let mut files: Vec<(&str, String)> = vec![
        (lang.source_file(), source.replace("{{name}}", name)),
        (".gitignore", "/target\n__pycache__/\n".into()),
        ("README.md", readme(name, world, lang)),
    ];
    match lang {
        Lang::Rust => files.push(("Cargo.toml", cargo_toml(name, sdk))),
        Lang::Js | Lang::Python => {
            let manifest = Manifest { name: name.into(), world: world.wit().into(), lang };
            files.push((MANIFEST, serde_json::to_string_pretty(&manifest)? + "\n"));
            files.push(("wit/plugins.wit", CONTRACT.into()));
        }
    }
    for (path, text) in files {
        std::fs::write(dir.join(path), text).with_context(|| path.to_string())?;
    }
    for (file, text) in fixtures {
        std::fs::write(dir.join("fixtures").join(file), text)?;
    }
    Ok(())
}

fn cargo_toml(name: &str, sdk: &Sdk) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# `plugin-runner build` builds the component (`--crate-type cdylib` for wasm32-wasip2); an rlib
# here keeps `cargo test` on your machine working (the export names are not host symbols).
crate-type = ["rlib"]

[dependencies]
{guest}
{strategies}

# What the service expects of a component: small, and `panic = "abort"` (there is no unwinding
# in the sandbox; the SDK reports the panic message before the abort).
[profile.plugin]
inherits = "release"
opt-level = "s"
lto = true
codegen-units = 1
strip = true
panic = "abort"
"#,
        guest = sdk.dependency("plugin-guest"),
        strategies = sdk.dependency("plugin-strategies"),
    )
}

fn readme(name: &str, world: World, lang: Lang) -> String {
    let kind = match world {
        World::Payment => "payment",
        World::Recommendation => "recommendation",
    };
    let (language, own_tests) = match lang {
        Lang::Rust => ("Rust", "cargo test            # your own unit tests, on your machine\n"),
        Lang::Js => ("JavaScript (componentize-js)", ""),
        Lang::Python => ("Python (componentize-py)", ""),
    };
    format!(
        "# {name}\n\nA Gajyeogagu {kind} strategy plugin in {language}: `{source}`.\n\n```sh\nplugin-runner build   # → the .wasm component, its size and sha256\nplugin-runner test    # every fixtures/*.json under the service's limits\n{own_tests}```\n\nA fixture is `{{\"name\", \"config\", \"input\", \"expect\": {{\"output\": …}} | {{\"error\": \"kind\"}}}}`; the\nexpected output may name only the fields that matter (the rest of the answer is not compared).\nThe rules of the sandbox (of WASI only a deterministic environment, clock and randomness; the\nmemory cap includes initial memory; fuel and a CPU-time deadline; a fresh instance per call)\nare in the platform's docs/plugins.md.\n",
        source = lang.source_file(),
    )
}

const PAYMENT_LIB: &str = r#"//! {{name}}: a payment strategy. It starts from the platform's standard plan and waives the
//! delivery fee on orders whose goods come to at least the tenant's `free_delivery_over` (KRW),
//! and on orders placed on a weekend — on the tenant's clock, so Friday 23:30 in Seoul is not
//! a weekend, though it is Saturday in UTC an hour later.

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Strategy;

impl PaymentStrategy for Strategy {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let mut plan = plugin_strategies::payment_standard::quote(&HostConfig, &input)?;
        let threshold: i64 = HostConfig.get("free_delivery_over").and_then(|v| v.parse().ok()).unwrap_or(300_000);
        let goods = plan.total - plan.delivery_fee;
        let weekend = input.placed_at.weekday.is_weekend();
        if (goods >= threshold || weekend) && plan.delivery_fee > 0 {
            // The total must stay lines + adjustments + delivery: the host checks it.
            plan.total -= plan.delivery_fee;
            plan.delivery_fee = 0;
            plan.notes.push(if weekend { "주말 무료 배송".into() } else { format!("{threshold}원 이상 무료 배송") });
            plugin_guest::log("delivery fee waived");
        }
        Ok(plan)
    }
}

plugin_guest::export_payment!(Strategy);
"#;

const PAYMENT_FIXTURES: &[(&str, &str)] = &[
    (
        "free-delivery.json",
        r#"{
  "name": "goods over the threshold are delivered free",
  "config": { "free_delivery_over": "100000" },
  "input": {
    "placed_at": "2026-12-02T14:00:00+09:00",
    "delivery_area": "강남구", "pickup_area": "마포구", "distance_km": 13.5,
    "lines": [
      { "product_id": "p-sofa", "title": "가죽소파", "category": "sofa", "seller_id": "s-1",
        "unit_price": 150000, "quantity": 1, "width_cm": 210, "depth_cm": 90, "height_cm": 85 }
    ]
  },
  "expect": { "output": { "delivery_fee": 0 } }
}
"#,
    ),
    (
        "weekend.json",
        r#"{
  "name": "placed on Saturday 00:30 in Seoul (still Friday in UTC): delivered free",
  "input": {
    "placed_at": "2026-12-04T15:30:00Z",
    "delivery_area": "강남구", "pickup_area": "마포구", "distance_km": 13.5,
    "lines": [
      { "product_id": "p-chair", "title": "원목의자", "category": "chair", "seller_id": "s-1", "unit_price": 50000 }
    ]
  },
  "expect": { "output": { "delivery_fee": 0, "total": 50000 } }
}
"#,
    ),
    (
        "weekday.json",
        r#"{
  "name": "placed on Friday 23:30 in Seoul: the standard delivery fee",
  "input": {
    "placed_at": "2026-12-04T23:30:00+09:00",
    "delivery_area": "강남구", "pickup_area": "마포구", "distance_km": 13.5,
    "lines": [
      { "product_id": "p-chair", "title": "원목의자", "category": "chair", "seller_id": "s-1", "unit_price": 50000 }
    ]
  },
  "expect": { "output": { "delivery_fee": 11750, "total": 61750 } }
}
"#,
    ),
    (
        "empty-order.json",
        r#"{
  "name": "an order with no lines is refused",
  "input": { "lines": [] },
  "expect": { "error": "refused" }
}
"#,
    ),
];

const RECOMMEND_LIB: &str = r#"//! {{name}}: a recommendation strategy. Items near the buyer first: within the tenant's
//! `max_km` (default 10) by distance, then everything else by how similar it looks.

use plugin_guest::{Candidates, Context, Pick, RecommendConfig, RecommendationStrategy};
use plugin_strategies::Config;

pub struct Strategy;

impl RecommendationStrategy for Strategy {
    /// `candidates` are columns: candidate `i` is `candidates.price[i]`,
    /// `candidates.distance_km[i]` (NaN when unknown), …; the answer names candidates by
    /// position (`index`).
    fn rank(ctx: Context, candidates: Candidates) -> Result<Vec<Pick>, String> {
        let max_km: f64 = RecommendConfig.get("max_km").and_then(|v| v.parse().ok()).unwrap_or(10.0);
        let mut picks: Vec<Pick> = (0..candidates.len())
            .map(|i| {
                let (index, km, similarity) = (i as u32, candidates.distance_km[i], candidates.similarity[i]);
                // NaN (unknown distance) compares false.
                if km <= max_km {
                    Pick { index, score: 1.0 + 1.0 / (1.0 + km), reason: format!("{km:.1} km away") }
                } else {
                    let score = if similarity.is_nan() { 0.0 } else { similarity.clamp(0.0, 1.0) };
                    Pick { index, score, reason: "looks alike".into() }
                }
            })
            .collect();
        picks.sort_by(|a, b| b.score.total_cmp(&a.score));
        picks.truncate(ctx.limit as usize);
        Ok(picks)
    }
}

plugin_guest::export_recommendation!(Strategy);
"#;

const RECOMMEND_FIXTURES: &[(&str, &str)] = &[(
    "near-first.json",
    r#"{
  "name": "a near item comes before a similar far one",
  "config": { "max_km": "5" },
  "input": {
    "context": { "limit": 10 },
    "candidates": [
      { "id": "far-twin", "category": "sofa", "price": 100000, "similarity": 0.95, "distance_km": 30 },
      { "id": "near", "category": "sofa", "price": 120000, "similarity": 0.2, "distance_km": 1.2 }
    ]
  },
  "expect": { "output": [ { "id": "near" }, { "id": "far-twin" } ] }
}
"#,
)];
