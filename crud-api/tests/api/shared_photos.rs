//! Photos on S3-compatible object storage: what one replica stores, every replica serves and
//! analyses. Against a real S3 server (s3s-fs, SigV4), started here on 127.0.0.1.

use serde_json::json;

use crate::catalogue::{list_item, png, seller, upload_photo};
use crate::helpers::{database_url, spawn_with, TestApp};
use crate::s3::{s3_server, S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};
use crud_api::catalogue::media::image_store::{Bucket, ImageStore};

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
    let res = upload_photo(&a, &token, p["id"].as_str().unwrap(), png(96, 64), "sofa.png").await;
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
    let res = upload_photo(&a, &token, &product.to_string(), png(64, 64), "sofa.png").await;
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
