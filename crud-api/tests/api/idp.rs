//! A real OpenID Connect provider for the social-login tests: npm `oidc-provider`, started on
//! loopback (`tools/node/idp.mjs`), and a tiny "browser" that walks its sign-in pages.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use url::Url;

pub const CLIENT_SECRET: &str = "test-client-secret";

pub struct Idp {
    child: tokio::process::Child,
    pub issuer: String,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/node")
}

/// A free loopback port, to tell crud-api the issuer before the provider starts. Never the
/// same port twice in this process: two providers racing for one port would answer each
/// other's tests (seen as a flaky `redirect_uri did not match`).
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut seen = HANDED_OUT.lock().unwrap();
        if !seen.contains(&port) {
            seen.push(port);
            return port;
        }
    }
}

/// Starts a provider on `port` with one client; `clock_offset_secs` shifts its clock.
pub async fn start(port: u16, client_id: &str, redirect_uri: &str, clock_offset_secs: i64) -> Idp {
    let dir = tools_dir();
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "tools/node/node_modules is missing: run `make test` (or `make tools`) to install the test IdP"
    );
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("idp.mjs"))
        .env("IDP_PORT", port.to_string())
        .env("IDP_CLIENT_ID", client_id)
        .env("IDP_CLIENT_SECRET", CLIENT_SECRET)
        .env("IDP_REDIRECT_URI", redirect_uri)
        .env("IDP_CLOCK_OFFSET_SECS", clock_offset_secs.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let issuer = format!("http://127.0.0.1:{port}");
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    for _ in 0..150 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the test IdP exited ({status}): port {port} taken by another process?");
        }
        if reqwest::get(&discovery).await.is_ok_and(|r| r.status().is_success()) {
            // Ours answered only if it is still running (a second provider on a taken port
            // exits with EADDRINUSE while the first one answers).
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the test IdP exited ({status}): port {port} taken by another process?");
            }
            return Idp { child, issuer };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test IdP did not start on {issuer}");
}

/// Walks the provider's pages like a browser: follows redirects, signs in as `login`,
/// consents, and stops at the first redirect back to `app_base`. Returns that callback URL.
pub async fn sign_in(authorize_url: &str, login: &str, app_base: &str) -> Url {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut url = Url::parse(authorize_url).unwrap();
    let mut form: Option<Vec<(String, String)>> = None;
    for _ in 0..20 {
        let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let req = match form.take() {
            Some(fields) => client.post(url.clone()).form(&fields),
            None => client.get(url.clone()),
        };
        let res = req.header(COOKIE, cookie).send().await.unwrap();
        for sc in res.headers().get_all(SET_COOKIE) {
            let pair = sc.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        if res.status().is_redirection() {
            let next = url.join(res.headers()[LOCATION].to_str().unwrap()).unwrap();
            if next.as_str().starts_with(app_base) {
                return next;
            }
            url = next;
            continue;
        }
        let status = res.status();
        let html = res.text().await.unwrap();
        assert!(status.is_success(), "IdP answered {status}: {html}");
        let action = between(&html, "action=\"", "\"").expect("a form on the IdP page");
        let prompt = between(&html, "name=\"prompt\" value=\"", "\"").expect("a prompt field");
        let mut fields = vec![("prompt".to_string(), prompt.to_string())];
        if prompt == "login" {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any-password".into()));
        }
        url = url.join(action).unwrap();
        form = Some(fields);
    }
    panic!("the IdP flow did not come back to the app");
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}
