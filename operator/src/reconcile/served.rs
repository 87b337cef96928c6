//! The plugin digests a tenant's crud-api replicas actually serve, read from each ready
//! replica's `/readyz` (fetched the same way for dl-api's placement: `readyz`) — so `status.pluginDigests` says what runs, and a module the host
//! refused (its bytes don't match the pinned sha256) shows as not current instead of being
//! copied from the spec as if it were.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;

use crate::crd::Condition;

/// How long one replica may take to answer; a slow one counts as not answering.
const TIMEOUT: Duration = Duration::from_secs(2);
/// The most of one replica's `/readyz` the operator reads. A real answer is a few KiB; the
/// tenant picks the image, so a replica may answer anything, and one streaming gigabytes must
/// not take down the operator every tenant shares (it did: 256 Mi, OOM-killed, again and again).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Deserialize, Default)]
struct Readiness {
    #[serde(default)]
    plugins: ServedPlugins,
}

/// crud-api's `/readyz` `plugins` (its OpenAPI `ServedPlugins`): the digests by strategy,
/// the load error, and the candidates in shadow.
#[derive(Deserialize, Default)]
struct ServedPlugins {
    payment: Option<String>,
    recommendation: Option<String>,
    #[serde(default)]
    candidates: BTreeMap<String, CandidateStats>,
}

/// One replica's counts for a candidate in shadow (crud-api's `CandidateStats`).
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CandidateStats {
    pub digest: String,
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub same: u64,
    #[serde(default)]
    pub diverged: u64,
    #[serde(default)]
    pub errors: u64,
    #[serde(default)]
    pub dropped: u64,
    pub mean_ms: Option<f64>,
    pub last_divergence: Option<String>,
    pub last_error: Option<String>,
    pub load_error: Option<String>,
}

/// What each answering replica serves, strategy → digest, and its candidates' counts.
#[derive(Default)]
pub struct Served {
    pub replicas: Vec<BTreeMap<String, String>>,
    pub candidates: Vec<BTreeMap<String, CandidateStats>>,
    /// Ready replicas that were asked.
    pub asked: usize,
}

/// One replica's answer: strategy → digest (only strategies that have one: `error` and
/// `candidates` are not strategies), and its candidates.
fn parse(body: &[u8]) -> Option<(BTreeMap<String, String>, BTreeMap<String, CandidateStats>)> {
    let p = serde_json::from_slice::<Readiness>(body).ok()?.plugins;
    let digests = [("payment", p.payment), ("recommendation", p.recommendation)]
        .into_iter()
        .filter_map(|(k, d)| Some((k.to_string(), d?)))
        .collect();
    Some((digests, p.candidates))
}

/// Connection attempts per replica, `RETRY_AFTER` apart, when the connection is refused: a
/// NetworkPolicy engine admits a new operator pod's address a moment after the pod starts,
/// and a new leader's first pass used to find every replica "not answering" (then write the
/// status twice, Unknown and back). Timeouts are not retried: a hung replica stays one wait.
const CONNECT_ATTEMPTS: u32 = 3;
const RETRY_AFTER: Duration = Duration::from_millis(700);

/// Asks every ready replica (`ip:port`) at once.
pub async fn read(http: &reqwest::Client, endpoints: &[String]) -> Served {
    // A 503 body (database briefly unreachable) still says which modules are loaded.
    let asks = endpoints.iter().map(|ep| async move { parse(&readyz(http, ep).await?) });
    let (replicas, candidates) = futures_util::future::join_all(asks).await.into_iter().flatten().unzip();
    Served { replicas, candidates, asked: endpoints.len() }
}

/// One replica's `/readyz` body, whatever its status code (a replica not ready says why), or
/// `None` when it does not answer in time or answers too much. Shared with `placement`.
pub async fn readyz(http: &reqwest::Client, endpoint: &str) -> Option<Vec<u8>> {
    let url = format!("http://{endpoint}/readyz");
    let mut attempt = 1;
    let resp = loop {
        match http.get(&url).timeout(TIMEOUT).send().await {
            Ok(resp) => break resp,
            Err(e) if e.is_connect() && attempt < CONNECT_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(RETRY_AFTER).await;
            }
            Err(_) => return None,
        }
    };
    body_capped(resp, MAX_BODY_BYTES).await
}

/// The body, or `None` once it passes `max` bytes (declared or streamed): the connection is
/// dropped there, so nothing past `max` is ever buffered.
async fn body_capped(mut resp: reqwest::Response, max: usize) -> Option<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return None;
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.ok()? {
        if body.len() + chunk.len() > max {
            tracing::warn!(url = %resp.url(), max, "a replica's /readyz answer too large; ignored");
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// The outcome for the status: digests every answering replica agrees on, and the
/// `PluginsCurrent` condition (transition time left for `status::carry_transitions`).
pub struct Verdict {
    pub digests: BTreeMap<String, String>,
    pub condition: Condition,
}

impl Verdict {
    pub fn current(&self) -> bool {
        self.condition.status == "True"
    }
}

/// A digest's first 12 hex characters, for status messages.
pub(crate) fn abbrev(d: &str) -> &str {
    d.get(..12).unwrap_or(d)
}

/// Compares what runs with what the spec pins. `previous`: the digests last read back, kept
/// while no replica answers (the last thing known, with the condition saying it is not fresh).
pub fn judge(
    pinned: &BTreeMap<String, String>,
    served: &Served,
    previous: &BTreeMap<String, String>,
    generation: Option<i64>,
) -> Verdict {
    let cond = |status: &str, reason: &str, message: String| Condition {
        type_: "PluginsCurrent".into(),
        status: status.into(),
        reason: reason.into(),
        message,
        last_transition_time: String::new(),
        observed_generation: generation,
    };
    if served.replicas.is_empty() {
        let message = if served.asked == 0 {
            "no ready crud-api replica to read the served plugins from".to_string()
        } else {
            format!("none of {} ready replicas answered /readyz", served.asked)
        };
        return Verdict { digests: previous.clone(), condition: cond("Unknown", "NoReplicaAnswered", message) };
    }
    let n = served.replicas.len();
    let kinds: BTreeSet<&String> = pinned.keys().chain(served.replicas.iter().flat_map(|r| r.keys())).collect();
    let mut digests = BTreeMap::new();
    let mut off = Vec::new();
    for kind in kinds {
        let seen: BTreeSet<Option<&String>> = served.replicas.iter().map(|r| r.get(kind)).collect();
        if let [Some(d)] = seen.iter().copied().collect::<Vec<_>>()[..] {
            digests.insert(kind.clone(), d.clone());
        }
        let want = pinned.get(kind);
        let matching = served.replicas.iter().filter(|r| r.get(kind) == want).count();
        if matching < n {
            let serving: Vec<&str> = seen.iter().map(|d| d.map_or("the built-in strategy", |d| abbrev(d))).collect();
            off.push(format!(
                "{kind}: pinned {}, {} of {n} replicas serve {}",
                want.map_or("none", |d| abbrev(d)),
                n - matching,
                serving.join(" / ")
            ));
        }
    }
    let condition = if off.is_empty() {
        cond("True", "AsPinned", format!("{n} of {} ready replicas serve the pinned modules", served.asked))
    } else {
        cond("False", "PluginDigestMismatch", off.join("; "))
    };
    Verdict { digests, condition }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A replica whose address refuses the operator for a moment — a NetworkPolicy engine that
    /// has not admitted a new operator pod yet — is asked again and counted once it answers.
    #[tokio::test]
    async fn a_refused_connection_is_retried_until_the_replica_answers() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ep = listener.local_addr().unwrap();
        drop(listener); // refused until the "policy" admits us
        let server = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(900)).await;
            let listener = tokio::net::TcpListener::bind(ep).await.unwrap();
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 1024];
            let _ = sock.read(&mut req).await;
            let body = format!(r#"{{"plugins":{{"payment":"{A}"}}}}"#);
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
            sock.write_all(head.as_bytes()).await.unwrap();
            sock.write_all(body.as_bytes()).await.unwrap();
        });
        let served = read(&reqwest::Client::new(), &[ep.to_string()]).await;
        server.abort();
        assert_eq!(served.replicas, vec![map(&[("payment", A)])], "the replica was not asked again");
    }

    /// A replica answering `/readyz` with an endless body (the tenant chooses the image) is read
    /// up to the cap and hung up on: the operator buffered it all before.
    #[tokio::test]
    async fn an_endless_readyz_body_is_cut_off_at_the_cap() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        for content_length in [false, true] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let ep = listener.local_addr().unwrap().to_string();
            // Sends up to 256 MiB, counting what the connection took before the client left.
            let server = tokio::spawn(async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut req = [0u8; 1024];
                let _ = sock.read(&mut req).await;
                let total: u64 = 256 << 20;
                let head = if content_length {
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_string()
                };
                sock.write_all(head.as_bytes()).await.unwrap();
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < total {
                    if sock.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                }
                sent
            });
            let http = reqwest::Client::new();
            let served = read(&http, std::slice::from_ref(&ep)).await;
            assert!(served.replicas.is_empty(), "an oversized answer is no answer");
            assert_eq!(served.asked, 1);
            let sent = tokio::time::timeout(Duration::from_secs(20), server).await.unwrap().unwrap();
            // What the kernel's socket buffers take after the client stops reading, not 256 MiB.
            assert!(sent < 32 << 20, "the operator read {sent} bytes (content-length: {content_length})");
        }
    }

    /// A replica whose last reload failed says why under `plugins.error`: that is not a
    /// strategy (it was read as one, so the status claimed an "error" plugin).
    #[test]
    fn the_load_error_and_candidates_are_not_strategies() {
        let body = format!(
            r#"{{"status":"ready","plugins":{{"payment":"{A}","error":"recommendation: bad module (invalid)",
               "candidates":{{"payment":{{"digest":"{B}","share_percent":10,"calls":4,"same":1,"diverged":3,"errors":0,"dropped":0,"mean_ms":0.5}}}}}}}}"#
        );
        let (digests, candidates) = parse(body.as_bytes()).unwrap();
        assert_eq!(digests, map(&[("payment", A)]));
        assert_eq!(candidates["payment"].diverged, 3);
        assert_eq!(candidates["payment"].digest, B);
        assert!(parse(b"not json").is_none());
    }

    #[test]
    fn digests_come_from_the_replicas_not_the_spec() {
        // The spec pins B, but the host refused B's bytes and kept A serving.
        let served =
            Served { candidates: vec![], replicas: vec![map(&[("payment", A)]), map(&[("payment", A)])], asked: 2 };
        let v = judge(&map(&[("payment", B)]), &served, &BTreeMap::new(), Some(3));
        assert_eq!(v.digests, map(&[("payment", A)]));
        assert!(!v.current());
        assert_eq!(v.condition.reason, "PluginDigestMismatch");
        assert_eq!(v.condition.message, "payment: pinned bbbbbbbbbbbb, 2 of 2 replicas serve aaaaaaaaaaaa");

        let served = Served { candidates: vec![], replicas: vec![map(&[("payment", B)])], asked: 1 };
        let v = judge(&map(&[("payment", B)]), &served, &BTreeMap::new(), Some(3));
        assert!(v.current());
        assert_eq!(v.digests, map(&[("payment", B)]));
    }

    #[test]
    fn a_rollout_half_way_reports_no_agreed_digest() {
        let served =
            Served { candidates: vec![], replicas: vec![map(&[("payment", A)]), map(&[("payment", B)])], asked: 2 };
        let v = judge(&map(&[("payment", B)]), &served, &map(&[("payment", A)]), None);
        assert!(v.digests.is_empty(), "replicas disagree: no single digest runs");
        assert_eq!(
            v.condition.message,
            "payment: pinned bbbbbbbbbbbb, 1 of 2 replicas serve aaaaaaaaaaaa / bbbbbbbbbbbb"
        );
    }

    #[test]
    fn a_module_removed_from_the_spec_but_still_served_is_not_current() {
        let served = Served { candidates: vec![], replicas: vec![map(&[("recommendation", A)])], asked: 1 };
        let v = judge(&BTreeMap::new(), &served, &BTreeMap::new(), None);
        assert!(!v.current());
        assert!(v.condition.message.starts_with("recommendation: pinned none"));
        let served = Served { candidates: vec![], replicas: vec![BTreeMap::new()], asked: 1 };
        let v = judge(&map(&[("payment", A)]), &served, &BTreeMap::new(), None);
        assert_eq!(v.condition.message, "payment: pinned aaaaaaaaaaaa, 1 of 1 replicas serve the built-in strategy");
    }

    #[test]
    fn nobody_answering_keeps_the_last_reading_and_says_so() {
        let v = judge(
            &map(&[("payment", A)]),
            &Served { candidates: vec![], replicas: vec![], asked: 0 },
            &map(&[("payment", A)]),
            None,
        );
        assert_eq!(v.condition.status, "Unknown");
        assert_eq!(v.digests, map(&[("payment", A)]));
    }
}
