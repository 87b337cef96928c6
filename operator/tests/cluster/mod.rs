//! A real kube-apiserver + etcd on loopback for the integration tests, started once per
//! test binary (binaries from `scripts/kube-test-tools.sh`, which `make test` runs). The
//! harness generates the serving certificate, the service-account key and an admin token.
//! There is no kubelet or controller-manager: Pods never run and garbage collection never
//! happens, so tests fake Deployment status the way the deployment controller would.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};

struct Info {
    url: String,
    token: String,
    ca_der: Vec<u8>,
    _dir: PathBuf,
}

static CLUSTER: OnceLock<Info> = OnceLock::new();

fn cache_bin(env: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("GAJYEOGAGU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/gajyeogagu"));
    let p = cache.join("kube-v1.33.13").join(name);
    assert!(p.is_file(), "{} missing — run scripts/kube-test-tools.sh (make kube-tools)", p.display());
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `cmd` under a watchdog shell that kills it when this test process exits, then
/// removes `cleanup` (each run's etcd data is ~60 MB: left behind, CI runs filled the disk).
fn spawn_supervised(cmd: &str, log: &std::path::Path, cleanup: Option<&std::path::Path>) {
    let me = std::process::id();
    let rm = cleanup.map(|d| format!("; sleep 1; rm -rf {}", d.display())).unwrap_or_default();
    let script = format!(
        "{cmd} >{log} 2>&1 & c=$!; while kill -0 {me} 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 0.5; done; kill $c 2>/dev/null; wait $c{rm}",
        log = log.display()
    );
    let mut child = Command::new("bash").arg("-c").arg(script).stdin(Stdio::null()).spawn().expect("bash runs");
    // Reap it when it ends (no zombies).
    std::thread::spawn(move || child.wait());
}

fn run(cmd: &str, dir: &std::path::Path) {
    let ok = Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "{cmd} failed");
}

fn start() -> Info {
    let dir = std::env::temp_dir().join(format!("kube-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (etcd, apiserver) = (cache_bin("ETCD_BIN", "etcd"), cache_bin("KUBE_APISERVER_BIN", "kube-apiserver"));
    run(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.crt -subj /CN=test-ca \
         && openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver \
         && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf \
         && openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out apiserver.crt -extfile ext.cnf \
         && openssl x509 -in ca.crt -outform DER -out ca.der \
         && openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub",
        &dir,
    );
    let token = format!("{:x}{:x}", std::process::id(), Instant::now().elapsed().as_nanos() ^ 0x9e37_79b9_7f4a_7c15);
    std::fs::write(dir.join("tokens.csv"), format!("{token},admin,admin-uid,system:masters\n")).unwrap();
    let (ep, epp, ap) = (free_port(), free_port(), free_port());
    let d = dir.display();
    spawn_supervised(
        &format!(
            "{} --name test --data-dir {d}/etcd --listen-client-urls http://127.0.0.1:{ep} \
             --advertise-client-urls http://127.0.0.1:{ep} --listen-peer-urls http://127.0.0.1:{epp} \
             --initial-advertise-peer-urls http://127.0.0.1:{epp} --initial-cluster test=http://127.0.0.1:{epp}",
            etcd.display()
        ),
        &dir.join("etcd.log"),
        None,
    );
    spawn_supervised(
        &format!(
            "{} --etcd-servers=http://127.0.0.1:{ep} --bind-address=127.0.0.1 --secure-port={ap} \
             --advertise-address=127.0.0.1 --tls-cert-file={d}/apiserver.crt --tls-private-key-file={d}/apiserver.key \
             --cert-dir={d}/certs --service-account-issuer=https://kubernetes.default.svc \
             --service-account-key-file={d}/sa.pub --service-account-signing-key-file={d}/sa.key \
             --token-auth-file={d}/tokens.csv --authorization-mode=RBAC --service-cluster-ip-range=10.96.0.0/16 \
             --disable-admission-plugins=ServiceAccount --endpoint-reconciler-type=none",
            apiserver.display()
        ),
        &dir.join("apiserver.log"),
        // The API server stops after etcd's watchdog saw this process end: then the whole
        // directory goes (its certificates and logs with the etcd data).
        Some(&dir),
    );
    let url = format!("https://127.0.0.1:{ap}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = Command::new("curl")
            .args(["-sk", "-H", &format!("Authorization: Bearer {token}"), &format!("{url}/readyz")])
            .output()
            .unwrap();
        if out.stdout == b"ok" {
            break;
        }
        assert!(Instant::now() < deadline, "kube-apiserver not ready; see {}/apiserver.log", d);
        std::thread::sleep(Duration::from_millis(200));
    }
    let ca_der = std::fs::read(dir.join("ca.der")).unwrap();
    Info { url, token, ca_der, _dir: dir }
}

/// A client for the shared test cluster (one per test: clients belong to a runtime), with
/// the CRDs installed and a fresh namespace `ns`.
pub async fn client(ns: &str) -> Client {
    let info = CLUSTER.get_or_init(start);
    let mut config = kube::Config::new(info.url.parse().unwrap());
    config.root_cert = Some(vec![info.ca_der.clone()]);
    config.auth_info = serde_json::from_value(serde_json::json!({ "token": info.token })).unwrap();
    config.default_namespace = ns.to_string();
    let client = Client::try_from(config).unwrap();
    install_crds(&client).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let n: Namespace = serde_json::from_value(serde_json::json!({ "metadata": { "name": ns } })).unwrap();
    match namespaces.create(&PostParams::default(), &n).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => panic!("creating namespace {ns}: {e}"),
    }
    client
}

async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let yaml = operator::crd::all_yaml();
    for doc in yaml.split("---\n") {
        let crd: CustomResourceDefinition = serde_yaml::from_str(doc).unwrap();
        let name = crd.metadata.name.clone().unwrap();
        crds.patch(&name, &PatchParams::apply("tests").force(), &Patch::Apply(&crd)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let c = crds.get(&name).await.unwrap();
            let established = c
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            assert!(Instant::now() < deadline, "CRD {name} not established");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Polls `check` until it returns Some, or fails after 30 s. (Not every test binary that
/// includes this module polls.)
#[allow(dead_code)]
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
