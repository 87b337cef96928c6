//! Photos on S3-compatible object storage: what one replica stores, every replica serves and
//! analyses. Against a real S3 server (s3s-fs, SigV4), started here on 127.0.0.1.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::catalogue::{list_item, png, seller, upload_photo};
use crate::helpers::{database_url, spawn_with, TestApp};
use crud_api::catalogue::media::image_store::{Bucket, ImageStore};

pub(crate) const ACCESS_KEY: &str = "gajyeogagu-test";
pub(crate) const SECRET_KEY: &str = "gajyeogagu-test-secret";
pub(crate) const BUCKET: &str = "photos";

/// An s3s-fs server over a temp directory, with bucket `photos`; stopped on drop.
pub(crate) struct S3Server {
    pub endpoint: String,
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

pub(crate) async fn s3_server() -> S3Server {
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

fn bucket<'a>(
    s3: &'a S3Server,
    secret: &'a crud_api::platform::secret::Secret,
    id: &'a crud_api::platform::secret::Secret,
) -> Bucket<'a> {
    Bucket {
        bucket: BUCKET,
        endpoint: Some(&s3.endpoint),
        region: "us-east-1",
        access_key_id: Some(id),
        secret_access_key: Some(secret),
    }
}

async fn replica(s3: &S3Server, database: &str) -> TestApp {
    let (endpoint, database) = (s3.endpoint.clone(), database.to_string());
    spawn_with(move |c| {
        c.database_url = database;
        c.s3_bucket = Some(BUCKET.into());
        c.s3_endpoint = Some(endpoint);
        c.s3_access_key_id = Some(ACCESS_KEY.parse().unwrap());
        c.s3_secret_access_key = Some(SECRET_KEY.parse().unwrap());
    })
    .await
}

#[tokio::test]
async fn a_photo_stored_by_one_replica_is_served_by_another() {
    let s3 = s3_server().await;
    let dir = tempfile::tempdir().unwrap();
    let database = database_url(dir.path()).await;
    let a = replica(&s3, &database).await;
    let b = replica(&s3, &database).await;
    let token = seller(&a, "shared-photos@example.com").await;
    let p = list_item(&a, &token, "sofa", "버킷에 사진 있는 소파", 50_000, json!({})).await;
    let res = upload_photo(&a, &token, p["id"].as_str().unwrap(), png(64, 48), "sofa.png").await;
    assert_eq!(res.status, 201, "{}", res.body);
    let url = res.body[0]["url"].as_str().unwrap_or_else(|| panic!("{}", res.body)).to_string();
    let key = url.rsplit('/').next().unwrap().to_string();

    // In the bucket, not in a replica's directory.
    assert!(s3.root.path().join(BUCKET).join(&key).exists(), "the photo is in the bucket");
    // Served by the other replica (it 404'd there before: each replica had its own IMAGE_DIR).
    let from_b = b.client.get(b.url(&url)).send().await.unwrap();
    assert_eq!(from_b.status(), 200);
    let served = from_b.bytes().await.unwrap();
    let from_a = a.client.get(a.url(&url)).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(served, from_a);
    // And readable there by the analysis worker.
    assert_eq!(b.state.images.get(&key).await.unwrap().unwrap(), served.to_vec());
    // A key that is not there is a 404 on every replica, never a 500.
    let missing = format!("/api/v1/images/{}.jpg", "0".repeat(64));
    assert_eq!(b.client.get(b.url(&missing)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn wrong_object_storage_credentials_stop_the_start_up() {
    let s3 = s3_server().await;
    let (id, wrong) = (ACCESS_KEY.parse().unwrap(), "not-the-secret".parse().unwrap());
    let err = ImageStore::object(bucket(&s3, &wrong, &id)).await.unwrap_err();
    assert!(err.to_string().contains("object storage"), "{err}");
    let right = SECRET_KEY.parse().unwrap();
    assert!(ImageStore::object(bucket(&s3, &right, &id)).await.is_ok());
}

#[tokio::test]
async fn a_photo_analysed_on_one_replica_is_similar_searchable_on_another_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_url(dir.path()).await;
    let db = database.clone();
    let a = spawn_with(move |c| c.database_url = db).await;
    let b = spawn_with(move |c| c.database_url = database).await;
    let token = seller(&a, "index-sync@example.com").await;
    let p = list_item(&a, &token, "sofa", "분석된 소파", 70_000, json!({})).await;
    let product: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let res = upload_photo(&a, &token, &product.to_string(), png(32, 32), "sofa.png").await;
    let image: uuid::Uuid = res.body[0]["id"].as_str().unwrap().parse().unwrap();
    // What replica A's worker writes once dl-api has analysed the photo.
    let vector: Vec<f32> = (0..16).map(|i| i as f32 / 16.0).collect();
    crud_api::recommendations::store::embeddings::put(&a.state.db, image, product, "test", &vector).await.unwrap();
    // Replica B picks it up from the database within a few seconds (it took the 60 s full
    // reload before); 10 s bounds the wait, not a performance claim.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b.state.index.vector_of(product).is_none() {
        assert!(std::time::Instant::now() < deadline, "replica B never indexed the photo");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
