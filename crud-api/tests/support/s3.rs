//! A real S3-compatible server for tests: s3s-fs (SigV4 authentication) over a temp directory
//! with one bucket, on 127.0.0.1 and a port it picks; stopped on drop. The binary comes from
//! `scripts/object-store-tool.sh` (`make test` runs it), or `S3S_FS_BIN`.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

pub const ACCESS_KEY: &str = "gajyeogagu-test";
pub const SECRET_KEY: &str = "gajyeogagu-test-secret";
pub const BUCKET: &str = "photos";

pub struct S3Server {
    pub endpoint: String,
    /// The bucket's files (the photo tests look inside; the fleet test does not).
    #[allow(dead_code)]
    pub root: tempfile::TempDir,
    _child: tokio::process::Child,
}

fn s3s_fs_bin() -> PathBuf {
    if let Ok(p) = std::env::var("S3S_FS_BIN") {
        return p.into();
    }
    let cache = std::env::var("GAJYEOGAGU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/gajyeogagu"));
    cache.join("s3s-fs-0.14.1/bin/s3s-fs")
}

pub async fn s3_server() -> S3Server {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(BUCKET)).unwrap();
    let bin = s3s_fs_bin();
    assert!(bin.exists(), "{} is missing: run scripts/object-store-tool.sh (make test does)", bin.display());
    let mut child = tokio::process::Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", "0", "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(root.path())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("s3s-fs starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let endpoint = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(i) = line.find("http://127.0.0.1:") {
                return line[i..].split_whitespace().next().unwrap().to_string();
            }
        }
        panic!("s3s-fs exited before it listened");
    })
    .await
    .expect("s3s-fs listens within 20 s");
    // Keep draining its log so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    S3Server { endpoint, root, _child: child }
}
