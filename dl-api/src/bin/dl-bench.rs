//! Raw ONNX Runtime throughput of the image model, for the same thread layout dl-api
//! uses (`DL_CONCURRENCY` sessions × `DL_INTRA_THREADS` threads): the ceiling the HTTP
//! service is compared with in docs/benchmarks.md. Also the model's CPU load time.
//!
//! Usage: dl-bench [--seconds S] [--batch B]   (model/runtime from the usual env)

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use dl_api::batcher::Backend;
use dl_api::config::Config;
use dl_api::models::image::{ImageInput, ImageModel};
use dl_api::preprocess::PIXELS_PER_IMAGE;

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let seconds = arg(&args, "--seconds", 10.0);
    let batch = arg(&args, "--batch", 1.0) as usize;
    let config = Config::parse_from(["dl-bench"]);
    let env = dl_api::runtime::environment(&config.ort_library())?;
    let dir = dl_api::models::table::image_dir(&config);
    let model = Arc::new(ImageModel::load(&dir)?);
    let threads = config.threads_per_session();
    let sessions = config.concurrency.max(1);

    let started = Instant::now();
    let mut loaded = Vec::new();
    for _ in 0..sessions {
        let mut s = dl_api::runtime::configured_session(env, &config, &dir.join("model.onnx"), threads)?;
        model
            .run(&mut s, vec![ImageInput { pixels: vec![0.0; PIXELS_PER_IMAGE], rows: 1 }])
            .map_err(anyhow::Error::msg)?;
        loaded.push(s);
    }
    let load = started.elapsed();
    println!(
        "load+warm-up: {:.0} ms for {sessions} session(s) ({:.0} ms each)",
        load.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e3 / sessions as f64
    );

    if let Some(i) = args.iter().position(|a| a == "--prepare") {
        // Decode + preprocess cost of one file, single-threaded.
        let bytes = std::fs::read(&args[i + 1])?;
        let t = Instant::now();
        let n = 300;
        for _ in 0..n {
            dl_api::preprocess::prepare(&bytes, 40_000_000).map_err(anyhow::Error::msg)?;
        }
        println!("prepare {}: {:.1} ms per image", args[i + 1], t.elapsed().as_secs_f64() * 1e3 / n as f64);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = loaded
        .into_iter()
        .map(|mut s| {
            let model = model.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let input = ImageInput { pixels: vec![0.1; PIXELS_PER_IMAGE * batch], rows: batch };
                    model.run(&mut s, vec![input]).expect("inference");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().expect("bench thread")).collect();
    all.sort();
    let images = all.len() * batch;
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "raw session: {sessions} session(s) × {threads} thread(s), batch {batch}: {:.1} images/s, run p50 {:.1} ms, p99 {:.1} ms ({} runs)",
        images as f64 / seconds,
        pct(0.5),
        pct(0.99),
        all.len()
    );
    Ok(())
}
