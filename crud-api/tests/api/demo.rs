//! `make run`'s demo data: every demo listing has a photo. On a fresh machine it had none —
//! `scripts/run.sh` took everything `fetch-eval-images.sh` printed (apt-get's "Get:1 …" line
//! included) as `DEMO_IMAGES_DIR`.

use std::path::{Path, PathBuf};

use crate::helpers::spawn_with;

#[tokio::test]
async fn a_fresh_clone_gets_demo_listings_with_photos() {
    let cache = std::env::var("GAJYEOGAGU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/gajyeogagu"));
    let deb = cache.join("debs/sweethome3d-furniture_1.8-1_all.deb");
    assert!(deb.exists(), "{} is missing: run `make models` first", deb.display());
    // A cold cache, as on a fresh machine, with apt-get stubbed to print what it prints and to
    // hand over the package `make models` already downloaded (no second 120 MB download).
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let stub = bin.join("apt-get");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho 'Get:1 http://deb.debian.org/debian bookworm/main all sweethome3d-furniture 1.8-1 [120 MB]'\ncp \"$REAL_DEB\" .\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/fetch-eval-images.sh");
    let out = tokio::process::Command::new(script)
        .env("GAJYEOGAGU_CACHE", tmp.path().join("cache"))
        .env("REAL_DEB", &deb)
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let dir = stdout.strip_suffix('\n').unwrap_or(&stdout);
    assert!(!dir.contains('\n') && Path::new(dir).is_dir(), "stdout must be the directory alone: {stdout:?}");

    let images = PathBuf::from(dir);
    let app = spawn_with(move |c| {
        c.demo_data = true;
        c.demo_images_dir = Some(images);
    })
    .await;
    let items = app.get("/api/v1/products?limit=100", None).await.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), crud_api::demo::ITEM_COUNT);
    let without: Vec<&str> =
        items.iter().filter(|i| !i["thumbnail_url"].is_string()).map(|i| i["title"].as_str().unwrap()).collect();
    assert!(without.is_empty(), "demo listings without a photo: {without:?}");
}
