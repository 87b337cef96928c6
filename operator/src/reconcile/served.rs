//! The plugin digests a tenant's crud-api replicas actually serve, read from each ready
//! replica's `/readyz` — so `status.pluginDigests` says what runs, and a module the host
//! refused (its bytes don't match the pinned sha256) shows as not current instead of being
//! copied from the spec as if it were.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;

use crate::crd::Condition;

/// How long one replica may take to answer; a slow one counts as not answering.
const TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
struct Readiness {
    #[serde(default)]
    plugins: BTreeMap<String, String>,
}

/// What each answering replica serves, strategy → digest.
pub struct Served {
    pub replicas: Vec<BTreeMap<String, String>>,
    /// Ready replicas that were asked.
    pub asked: usize,
}

/// Asks every ready replica (`ip:port`) at once.
pub async fn read(http: &reqwest::Client, endpoints: &[String]) -> Served {
    let asks = endpoints.iter().map(|ep| async move {
        let resp = http.get(format!("http://{ep}/readyz")).timeout(TIMEOUT).send().await.ok()?;
        // A 503 body (database briefly unreachable) still says which modules are loaded.
        resp.json::<Readiness>().await.ok().map(|r| r.plugins)
    });
    let replicas = futures_util::future::join_all(asks).await.into_iter().flatten().collect();
    Served { replicas, asked: endpoints.len() }
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

fn abbrev(d: &str) -> &str {
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

    #[test]
    fn digests_come_from_the_replicas_not_the_spec() {
        // The spec pins B, but the host refused B's bytes and kept A serving.
        let served = Served { replicas: vec![map(&[("payment", A)]), map(&[("payment", A)])], asked: 2 };
        let v = judge(&map(&[("payment", B)]), &served, &BTreeMap::new(), Some(3));
        assert_eq!(v.digests, map(&[("payment", A)]));
        assert!(!v.current());
        assert_eq!(v.condition.reason, "PluginDigestMismatch");
        assert_eq!(v.condition.message, "payment: pinned bbbbbbbbbbbb, 2 of 2 replicas serve aaaaaaaaaaaa");

        let served = Served { replicas: vec![map(&[("payment", B)])], asked: 1 };
        let v = judge(&map(&[("payment", B)]), &served, &BTreeMap::new(), Some(3));
        assert!(v.current());
        assert_eq!(v.digests, map(&[("payment", B)]));
    }

    #[test]
    fn a_rollout_half_way_reports_no_agreed_digest() {
        let served = Served { replicas: vec![map(&[("payment", A)]), map(&[("payment", B)])], asked: 2 };
        let v = judge(&map(&[("payment", B)]), &served, &map(&[("payment", A)]), None);
        assert!(v.digests.is_empty(), "replicas disagree: no single digest runs");
        assert_eq!(
            v.condition.message,
            "payment: pinned bbbbbbbbbbbb, 1 of 2 replicas serve aaaaaaaaaaaa / bbbbbbbbbbbb"
        );
    }

    #[test]
    fn a_module_removed_from_the_spec_but_still_served_is_not_current() {
        let served = Served { replicas: vec![map(&[("recommendation", A)])], asked: 1 };
        let v = judge(&BTreeMap::new(), &served, &BTreeMap::new(), None);
        assert!(!v.current());
        assert!(v.condition.message.starts_with("recommendation: pinned none"));
        let served = Served { replicas: vec![BTreeMap::new()], asked: 1 };
        let v = judge(&map(&[("payment", A)]), &served, &BTreeMap::new(), None);
        assert_eq!(v.condition.message, "payment: pinned aaaaaaaaaaaa, 1 of 1 replicas serve the built-in strategy");
    }

    #[test]
    fn nobody_answering_keeps_the_last_reading_and_says_so() {
        let v = judge(&map(&[("payment", A)]), &Served { replicas: vec![], asked: 0 }, &map(&[("payment", A)]), None);
        assert_eq!(v.condition.status, "Unknown");
        assert_eq!(v.digests, map(&[("payment", A)]));
    }
}
