//! `make eval`: category accuracy and retrieval precision of the image model on the
//! labelled furniture set from `scripts/fetch-eval-images.sh`, then the text model's
//! cross-lingual retrieval on `dl-api/eval/crosslingual-pairs.tsv`.
//!
//! Usage: dl-eval EVAL_DIR   (ORT_DYLIB_PATH / DL_IMAGE_MODEL_DIR as for dl-api)

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use dl_api::batcher::Backend;
use dl_api::config::Config;
use dl_api::eval;
use dl_api::eval_crosslingual;
use dl_api::models::image::ImageModel;
use dl_api::models::text::TextModel;

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.pop().filter(|a| !a.starts_with('-')).ok_or_else(|| anyhow::anyhow!("usage: dl-eval EVAL_DIR"))?,
    );
    let config = Config::parse_from(["dl-eval"]);
    let env = dl_api::runtime::environment(&config.ort_library())?;
    let model_dir = config.image_dir();
    let model = ImageModel::load(&model_dir)?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut session = dl_api::runtime::session(env, &model_dir.join("model.onnx"), threads, config.execution_provider)?;
    let labels = eval::read_labels(&dir)?;
    let started = Instant::now();
    let items = eval::embed_all(&model, &mut session, &dir, &labels)?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(dump) = std::env::var_os("DL_EVAL_DUMP") {
        // For offline experiments: one JSON line per image.
        let lines: Vec<String> = items
            .iter()
            .map(|i| serde_json::json!({"path": i.path, "category": i.category, "imagenet": i.imagenet, "embedding": i.embedding, "probabilities": i.probabilities}).to_string())
            .collect();
        std::fs::write(dump, lines.join("\n"))?;
    }
    let r = eval::evaluate(&items);
    println!("images: {} ({:.1} images/s including decoding)", r.total, r.total as f64 / seconds);
    println!("category accuracy, ImageNet label mapping : {:.1}%", r.imagenet_accuracy * 100.0);
    println!("category accuracy, catalogue kNN (k={})   : {:.1}%", eval::K, r.knn_accuracy * 100.0);
    println!("category accuracy, combined (shipped)     : {:.1}%", r.combined_accuracy * 100.0);
    println!("same-category precision@5                 : {:.3}", r.precision_at_5);
    println!("\n| category | images | ImageNet mapping | combined |\n|---|---|---|---|");
    for (c, n, a, b) in &r.per_category {
        println!("| {c} | {n} | {a} | {b} |");
    }
    println!("\nmisclassified (combined):");
    for m in &r.misses {
        println!("  {m}");
    }
    crosslingual(&config, env)
}

/// The text model on the Korean/English phrase pairs (`dl-api/eval/crosslingual-pairs.tsv`).
fn crosslingual(config: &Config, env: &ort::environment::Environment) -> anyhow::Result<()> {
    let Some(dir) = config.text_dir() else { return Ok(()) };
    let pairs_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/crosslingual-pairs.tsv");
    let pairs = eval_crosslingual::read_pairs(&pairs_file)?;
    let model = TextModel::load(&dir)?;
    let mut session = dl_api::runtime::session(env, &dir.join("model.onnx"), 1, config.execution_provider)?;
    let ko: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
    let en: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
    let mut out = model.run(&mut session, vec![ko, en]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (en, ko) = (out.pop().unwrap_or_default(), out.pop().unwrap_or_default());
    let r = eval_crosslingual::evaluate(&pairs, &ko, &en);
    let verdict = |x: f64| if x >= 0.90 { "met" } else { "NOT met" };
    println!("\ncross-lingual top-1, {} Korean/English pairs ({}):", pairs.len(), dl_api::models::text::NAME);
    println!("  Korean → English: {:.3} (target ≥ 0.90: {})", r.ko_to_en, verdict(r.ko_to_en));
    println!("  English → Korean: {:.3} (target ≥ 0.90: {})", r.en_to_ko, verdict(r.en_to_ko));
    for (ko, got) in r.misses.iter().take(12) {
        println!("  miss: {ko} → {got}");
    }
    Ok(())
}
