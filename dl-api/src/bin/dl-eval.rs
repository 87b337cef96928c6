//! `make eval`: category accuracy and retrieval precision of the image model on labelled
//! furniture sets, then the text model's cross-lingual retrieval on
//! `dl-api/eval/crosslingual-pairs.tsv`.
//!
//! Usage: dl-eval RENDERS_DIR [PHOTOS_DIR...]   (ORT_DYLIB_PATH / DL_IMAGE_MODEL_DIR as for dl-api)
//! The first set (the sweethome3d renders, `scripts/fetch-eval-images.sh`) is the regression
//! set, its neighbours found among itself (leave-one-out); every further set (the photographs,
//! `scripts/fetch-eval-photos.sh`) is looked up among the first as the catalogue, as a seller's
//! photo is among a shop's listings.
//! `DL_EVAL_DUMP=FILE|DIR` also writes each image's features as JSON lines (a
//! directory gets one `<set>.jsonl` per set): what `scripts/models/train_head.py` reads.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use dl_api::batcher::Backend;
use dl_api::config::Config;
use dl_api::eval;
use dl_api::eval_crosslingual;
use dl_api::eval_metrics;
use dl_api::models::categories::CATEGORIES;
use dl_api::models::head;
use dl_api::models::image::ImageModel;
use dl_api::models::text::TextModel;

fn main() -> anyhow::Result<()> {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(PathBuf::from).collect();
    if dirs.is_empty() {
        anyhow::bail!("usage: dl-eval EVAL_DIR...");
    }
    let config = Config::parse_from(["dl-eval"]);
    let env = dl_api::runtime::environment(&config.ort_library())?;
    let model_dir = dl_api::models::table::image_dir(&config);
    let model = ImageModel::load(&model_dir)?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut session = dl_api::runtime::configured_session(env, &config, &model_dir.join("model.onnx"), threads)?;
    match &model.head {
        Some(h) => {
            println!("category head: {} (abstains below {:.2})", model_dir.join(head::FILE).display(), h.abstain_below)
        }
        None => println!("category head: none in {} (the ImageNet mapping decides)", model_dir.display()),
    }
    let mut catalogue = None;
    for dir in &dirs {
        let items = image_set(&model, &mut session, dir, catalogue.as_deref())?;
        catalogue.get_or_insert(items);
    }
    crosslingual(&config, env)
}

/// One labelled image set: every classifier's figures, the targets' verdicts; its items.
fn image_set(
    model: &ImageModel,
    session: &mut ort::session::Session,
    dir: &std::path::Path,
    catalogue: Option<&[eval::Item]>,
) -> anyhow::Result<Vec<eval::Item>> {
    let labels = eval::read_labels(dir)?;
    let started = Instant::now();
    let items = eval::embed_all(model, session, dir, &labels)?;
    let seconds = started.elapsed().as_secs_f64();
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(dump) = std::env::var_os("DL_EVAL_DUMP") {
        // For offline experiments and training the head: one JSON line per image.
        let lines: Vec<String> = items
            .iter()
            .map(|i| serde_json::json!({"path": i.path, "category": i.category, "imagenet": i.imagenet, "embedding": i.embedding, "probabilities": i.probabilities}).to_string())
            .collect();
        let mut path = PathBuf::from(dump);
        if path.is_dir() {
            path = path.join(format!("{name}.jsonl"));
        }
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    let r = eval::evaluate(&items, catalogue);
    println!("\n== {name}: {} images ({:.1} images/s including decoding)", r.total, r.total as f64 / seconds);
    match catalogue {
        Some(c) => println!("neighbours (kNN, precision@5) among the first set's {} images, as the catalogue", c.len()),
        None => println!("neighbours (kNN, precision@5) among the set itself, leave-one-out"),
    }
    let interval = |share: f64, n: usize| {
        let (lo, hi) = eval_metrics::wilson_interval((share * n as f64).round() as usize, n);
        format!("95% interval {:.2}–{:.2}", lo, hi)
    };
    println!("category accuracy, ImageNet label mapping : {:.1}%", r.imagenet_accuracy * 100.0);
    println!("category accuracy, catalogue kNN (k={})   : {:.1}%", eval::K, r.knn_accuracy * 100.0);
    println!("category accuracy, mapping + kNN (crud-api): {:.1}%", r.combined_accuracy * 100.0);
    let verdict = |x: f64, target: f64| if x >= target { "met" } else { "NOT met" };
    println!(
        "same-category precision@5                 : {:.3} (target ≥ 0.80: {})",
        r.precision_at_5,
        verdict(r.precision_at_5, 0.80)
    );
    print_scores("ImageNet mapping, what dl-api said before the head (same images as the head)", &r.mapping);
    if let Some(h) = &r.head {
        print_scores(
            &format!("category head (calibrated), on the {} images it was not trained on", r.head_held_out),
            h,
        );
        println!(
            "head accuracy {:.1}% (target ≥ 90%: {}; {})",
            h.accuracy * 100.0,
            verdict(h.accuracy, 0.90),
            interval(h.accuracy, r.head_held_out)
        );
    }
    println!("\n| category | images | ImageNet mapping | mapping + kNN |\n|---|---|---|---|");
    for (c, n, a, b) in &r.per_category {
        println!("| {c} | {n} | {a} | {b} |");
    }
    println!("\nmisclassified (mapping + kNN):");
    for m in &r.misses {
        println!("  {m}");
    }
    Ok(items)
}

fn print_scores(what: &str, s: &eval::Scores) {
    println!(
        "\n{what}: accuracy {:.1}%, macro-F1 {:.3}, expected calibration error {:.3}",
        s.accuracy * 100.0,
        s.macro_f1,
        s.ece
    );
    println!("  confusion (rows: truth, columns: predicted; {})", CATEGORIES.join(" "));
    for (c, row) in CATEGORIES.iter().zip(&s.confusion) {
        let cells: Vec<String> = row.iter().map(|n| format!("{n:>4}")).collect();
        println!("  {c:>8} {}", cells.join(""));
    }
    println!("  abstain below | coverage | accuracy of the answered");
    for p in &s.curve {
        println!("  {:>13.1} | {:>8.3} | {:.3}", p.threshold, p.coverage, p.accuracy);
    }
}

/// Each text model dl-api serves on the Korean/English phrase pairs (`dl-api/eval/crosslingual-pairs.tsv`).
fn crosslingual(config: &Config, env: &ort::environment::Environment) -> anyhow::Result<()> {
    let pairs_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/crosslingual-pairs.tsv");
    let pairs = eval_crosslingual::read_pairs(&pairs_file)?;
    let served = dl_api::models::table::MODELS
        .iter()
        .filter(|e| e.kind == dl_api::models::table::Kind::Text)
        .filter_map(|e| Some((e.name, e.serves_at_start(config)?.0)));
    for (name, dir) in served {
        let model = TextModel::load(&dir)?;
        let mut session = dl_api::runtime::configured_session(env, config, &dir.join("model.onnx"), 1)?;
        let ko: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
        let en: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
        let mut out = model.run(&mut session, vec![ko, en]).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (en, ko) = (out.pop().unwrap_or_default(), out.pop().unwrap_or_default());
        let r = eval_crosslingual::evaluate(&pairs, &ko, &en);
        let verdict = |x: f64| if x >= 0.90 { "met" } else { "NOT met" };
        println!("\ncross-lingual top-1, {} Korean/English pairs ({name}):", pairs.len());
        println!("  Korean → English: {:.3} (target ≥ 0.90: {})", r.ko_to_en, verdict(r.ko_to_en));
        println!("  English → Korean: {:.3} (target ≥ 0.90: {})", r.en_to_ko, verdict(r.en_to_ko));
        for (ko, got) in r.misses.iter().take(12) {
            println!("  miss: {ko} → {got}");
        }
    }
    Ok(())
}
