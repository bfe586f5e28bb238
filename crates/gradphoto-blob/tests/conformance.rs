//! One conformance suite, run against every backend: memory and a local temp directory
//! always, and a real S3-compatible server when `GRADPHOTO_TEST_S3_ENDPOINT` is set (with
//! `GRADPHOTO_TEST_S3_BUCKET`, `GRADPHOTO_TEST_S3_ACCESS_KEY`, `GRADPHOTO_TEST_S3_SECRET_KEY`;
//! `scripts/test` starts s3s-fs and sets them). The behaviour the rest of gradphoto relies on
//! must not depend on which backend is configured.

use std::path::Path as FsPath;

use bytes::Bytes;
use gradphoto_blob::{BlobConfig, BlobError, Blobs};

/// A store plus a per-run key prefix, so runs against a shared bucket never collide.
struct Ctx {
    blobs: Blobs,
    prefix: String,
}

impl Ctx {
    fn new(blobs: Blobs) -> Ctx {
        Ctx {
            blobs,
            prefix: format!("t-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    fn k(&self, rest: &str) -> String {
        format!("{}/{rest}", self.prefix)
    }
}

async fn conformance(ctx: &Ctx) {
    round_trip(ctx).await;
    overwrite_and_delete(ctx).await;
    listing(ctx).await;
    invalid_keys(ctx).await;
    health_check(ctx).await;
    atomic_overwrite(ctx).await;
    // Leave nothing behind in a shared bucket.
    for key in ctx.blobs.list(&ctx.prefix).await.expect("final list") {
        ctx.blobs.delete(&key).await.expect("cleanup delete");
    }
    assert_eq!(
        ctx.blobs.list(&ctx.prefix).await.expect("list"),
        Vec::<String>::new()
    );
}

async fn round_trip(ctx: &Ctx) {
    let b = &ctx.blobs;
    let all_bytes: Bytes = (0..=255u8).cycle().take(70_000).collect::<Vec<u8>>().into();
    let key = ctx.k("photos/2025/S001.jpg");
    b.put(&key, all_bytes.clone()).await.expect("put");
    assert_eq!(b.get(&key).await.expect("get"), all_bytes);
    assert!(b.exists(&key).await.expect("exists"));

    let empty = ctx.k("empty");
    b.put(&empty, Bytes::new()).await.expect("put empty");
    assert_eq!(b.get(&empty).await.expect("get empty"), Bytes::new());
    assert!(b.exists(&empty).await.expect("exists empty"));

    let missing = ctx.k("photos/2025/nope.jpg");
    match b.get(&missing).await {
        Err(BlobError::NotFound(k)) => assert_eq!(k, missing),
        other => panic!("{}: get of a missing key gave {other:?}", b.label()),
    }
    assert!(!b.exists(&missing).await.expect("exists missing"));
}

async fn overwrite_and_delete(ctx: &Ctx) {
    let b = &ctx.blobs;
    let key = ctx.k("ow/one");
    b.put(&key, Bytes::from_static(b"first version, longer"))
        .await
        .expect("put 1");
    b.put(&key, Bytes::from_static(b"second"))
        .await
        .expect("put 2");
    assert_eq!(
        b.get(&key).await.expect("get"),
        Bytes::from_static(b"second")
    );

    b.delete(&key).await.expect("delete");
    assert!(matches!(b.get(&key).await, Err(BlobError::NotFound(_))));
    assert!(!b.exists(&key).await.expect("exists"));
    b.delete(&key).await.expect("second delete is a no-op");
    b.delete(&ctx.k("never/existed"))
        .await
        .expect("delete of a never-written key");
}

async fn listing(ctx: &Ctx) {
    let b = &ctx.blobs;
    for rest in ["ls/a/1", "ls/a/2", "ls/a/deep/3", "ls/ab/1", "ls/b"] {
        b.put(&ctx.k(rest), Bytes::from_static(b"x"))
            .await
            .expect("put");
    }
    let want_a = vec![ctx.k("ls/a/1"), ctx.k("ls/a/2"), ctx.k("ls/a/deep/3")];
    assert_eq!(b.list(&ctx.k("ls/a")).await.expect("list"), want_a);
    assert_eq!(b.list(&ctx.k("ls/a/")).await.expect("list /"), want_a);
    assert_eq!(b.list(&ctx.k("ls")).await.expect("list all").len(), 5);
    assert_eq!(
        b.list(&ctx.k("ls/zzz")).await.expect("list none"),
        Vec::<String>::new()
    );
    // An object is not a prefix of itself.
    assert_eq!(
        b.list(&ctx.k("ls/b")).await.expect("list obj"),
        Vec::<String>::new()
    );
    assert!(
        b.list("")
            .await
            .expect("list everything")
            .contains(&ctx.k("ls/b"))
    );
}

async fn invalid_keys(ctx: &Ctx) {
    let b = &ctx.blobs;
    let before = b.list(&ctx.prefix).await.expect("list");
    for bad in [
        String::new(),
        "/abs".to_owned(),
        ctx.k("../escape"),
        ctx.k("a//b"),
        ctx.k("trailing/"),
        ctx.k("space here"),
        ctx.k("中文"),
        ctx.k("hash#1"),
    ] {
        let data = Bytes::from_static(b"x");
        assert!(
            matches!(b.put(&bad, data).await, Err(BlobError::InvalidKey(_))),
            "put {bad:?}"
        );
        assert!(
            matches!(b.get(&bad).await, Err(BlobError::InvalidKey(_))),
            "get {bad:?}"
        );
        assert!(
            matches!(b.exists(&bad).await, Err(BlobError::InvalidKey(_))),
            "exists {bad:?}"
        );
        assert!(
            matches!(b.delete(&bad).await, Err(BlobError::InvalidKey(_))),
            "delete {bad:?}"
        );
    }
    assert!(matches!(
        b.list("../x").await,
        Err(BlobError::InvalidKey(_))
    ));
    assert!(matches!(b.list("/").await, Err(BlobError::InvalidKey(_))));
    assert_eq!(
        b.list(&ctx.prefix).await.expect("list"),
        before,
        "rejected keys stored nothing"
    );
}

async fn health_check(ctx: &Ctx) {
    let b = &ctx.blobs;
    let before = b.list("_health").await.expect("list health");
    b.check().await.expect("check");
    b.check().await.expect("check twice");
    assert_eq!(
        b.list("_health").await.expect("list health"),
        before,
        "marker removed"
    );
}

/// Readers racing an overwrite must see the old or the new object whole, never a mix or a
/// truncated file.
async fn atomic_overwrite(ctx: &Ctx) {
    const LEN: usize = 256 * 1024;
    const ROUNDS: usize = 12;
    let key = ctx.k("atomic/photo.jpg");
    let a = Bytes::from(vec![b'a'; LEN]);
    let z = Bytes::from(vec![b'z'; LEN]);
    ctx.blobs.put(&key, a.clone()).await.expect("put a");

    let writer = {
        let (blobs, key) = (ctx.blobs.clone(), key.clone());
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                let data = if round % 2 == 0 { z.clone() } else { a.clone() };
                blobs.put(&key, data).await.expect("overwrite");
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (blobs, key) = (ctx.blobs.clone(), key.clone());
            tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let got = blobs.get(&key).await.expect("read during overwrite");
                    assert_eq!(got.len(), LEN, "partial object seen");
                    let first = got[0];
                    assert!(got.iter().all(|&c| c == first), "mixed object seen");
                }
            })
        })
        .collect();
    writer.await.expect("writer task");
    for r in readers {
        r.await.expect("reader task");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend() {
    let blobs = Blobs::from_config(&BlobConfig::Memory).expect("memory");
    assert_eq!(blobs.label(), "memory");
    conformance(&Ctx::new(blobs)).await;
    // Clones share the same store.
    let a = Blobs::memory();
    let b = a.clone();
    a.put("x", Bytes::from_static(b"1")).await.expect("put");
    assert_eq!(b.get("x").await.expect("get"), Bytes::from_static(b"1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_backend() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("not/yet/there");
    let blobs = Blobs::from_config(&BlobConfig::Local { dir: dir.clone() }).expect("local");
    assert!(dir.is_dir(), "from_config creates the directory");
    assert_eq!(blobs.label(), format!("local:{}", dir.display()));
    conformance(&Ctx::new(blobs.clone())).await;

    // A "directory" is not an object. (Not in the shared suite: s3s-fs answers HEAD on a
    // prefix with 500 where real S3 says 404.)
    blobs
        .put("d/e", Bytes::from_static(b"e"))
        .await
        .expect("put");
    assert!(!blobs.exists("d").await.expect("exists dir"));

    // Objects are plain files under the directory, at their key.
    blobs
        .put("p/q.jpg", Bytes::from_static(b"jpeg"))
        .await
        .expect("put");
    assert_eq!(std::fs::read(dir.join("p/q.jpg")).expect("file"), b"jpeg");
    no_staging_files(&dir);
}

/// A write that fails half-way must leave neither the target nor a staging file behind.
#[tokio::test]
async fn local_failed_write_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    let blobs = Blobs::from_config(&BlobConfig::Local { dir: dir.clone() }).expect("local");
    blobs
        .put("k/child", Bytes::from_static(b"c"))
        .await
        .expect("put child");
    // "k" is a directory on disk, so the final rename of a put to "k" fails after the data
    // has been written to the staging file.
    let err = blobs
        .put("k", Bytes::from(vec![7u8; 100_000]))
        .await
        .expect_err("put over a directory must fail");
    assert!(matches!(err, BlobError::Backend(_)), "{err:?}");
    no_staging_files(&dir);
    assert_eq!(
        blobs.list("").await.expect("list"),
        vec!["k/child".to_owned()]
    );
    assert_eq!(
        blobs.get("k/child").await.expect("get"),
        Bytes::from_static(b"c")
    );
}

fn no_staging_files(dir: &FsPath) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        assert!(
            !path.to_string_lossy().contains('#'),
            "staging file left behind: {}",
            path.display()
        );
        if entry.file_type().expect("file type").is_dir() {
            no_staging_files(&path);
        }
    }
}

#[test]
fn config_and_debug_never_show_secrets() {
    let json = r#"{"kind":"s3","endpoint":"http://127.0.0.1:1","bucket":"photos",
        "region":"us-east-1","access_key_id":"AKID","secret_access_key":"hunter2-secret"}"#;
    let cfg: BlobConfig = serde_json::from_str(json).expect("parse s3 config");
    let BlobConfig::S3 { allow_http, .. } = &cfg else {
        panic!("parsed as {cfg:?}");
    };
    assert!(!allow_http, "allow_http defaults to false");
    assert!(!format!("{cfg:?}").contains("hunter2"));
    let shown = serde_json::to_string(&cfg).expect("serialize");
    assert!(
        !shown.contains("hunter2") && shown.contains("<redacted>"),
        "{shown}"
    );

    // Building needs no network, and the handle prints only its label.
    let http_ok: BlobConfig =
        serde_json::from_str(&json.replace(r#""bucket""#, r#""allow_http":true,"bucket""#))
            .expect("parse");
    let blobs = Blobs::from_config(&http_ok).expect("build s3 client");
    assert_eq!(blobs.label(), "s3:photos");
    let shown = format!("{blobs:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("AKID"),
        "{shown}"
    );

    let mem: BlobConfig = serde_json::from_str(r#"{"kind":"memory"}"#).expect("memory");
    assert!(matches!(mem, BlobConfig::Memory));
    let local: BlobConfig =
        serde_json::from_str(r#"{"kind":"local","dir":"/srv/photos"}"#).expect("local");
    assert!(matches!(local, BlobConfig::Local { ref dir } if dir == FsPath::new("/srv/photos")));
    assert!(serde_json::from_str::<BlobConfig>(r#"{"kind":"ftp"}"#).is_err());
}

fn s3_env() -> Option<(String, String, String, String)> {
    let Ok(endpoint) = std::env::var("GRADPHOTO_TEST_S3_ENDPOINT") else {
        eprintln!("skipped: GRADPHOTO_TEST_S3_ENDPOINT not set (scripts/test starts s3s-fs)");
        return None;
    };
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("GRADPHOTO_TEST_S3_ENDPOINT is set, {name} is not"))
    };
    Some((
        endpoint,
        var("GRADPHOTO_TEST_S3_BUCKET"),
        var("GRADPHOTO_TEST_S3_ACCESS_KEY"),
        var("GRADPHOTO_TEST_S3_SECRET_KEY"),
    ))
}

fn s3_config(endpoint: &str, bucket: &str, key: &str, secret: &str) -> BlobConfig {
    BlobConfig::S3 {
        endpoint: Some(endpoint.to_owned()),
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: key.to_owned(),
        secret_access_key: secret.to_owned().into(),
        allow_http: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backend() {
    let Some((endpoint, bucket, key, secret)) = s3_env() else {
        return;
    };
    let blobs = Blobs::from_config(&s3_config(&endpoint, &bucket, &key, &secret)).expect("s3");
    assert_eq!(blobs.label(), format!("s3:{bucket}"));
    conformance(&Ctx::new(blobs.clone())).await;

    // The server checks signatures: a wrong secret is refused, not silently accepted.
    let wrong = Blobs::from_config(&s3_config(&endpoint, &bucket, &key, "not-the-secret"))
        .expect("s3 wrong secret");
    let err = wrong
        .check()
        .await
        .expect_err("check with a wrong secret must fail");
    assert!(matches!(err, BlobError::Backend(_)), "{err:?}");
    let probe = format!("t-{}/probe", uuid::Uuid::new_v4().simple());
    blobs
        .put(&probe, Bytes::from_static(b"p"))
        .await
        .expect("put");
    assert!(
        wrong.get(&probe).await.is_err(),
        "read with a wrong secret must fail"
    );
    blobs.delete(&probe).await.expect("delete");
    // (No missing-bucket check: s3s-fs writes into any bucket name, real S3 would refuse.)
}
