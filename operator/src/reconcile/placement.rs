//! Where a ModelDeployment's dl-api replicas run inference, read from each running replica's
//! `/readyz` — ready or not: a dl-api asked for CUDA that cannot have it stays up, not ready,
//! and says why. So `status.executionProvider` says what runs, the `ProviderAsRequested`
//! condition says why it is not what the spec asked for, and nothing reads "Ready on GPU"
//! because the spec said `cuda`.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::served;
use crate::crd::Condition;

pub const CONDITION: &str = "ProviderAsRequested";

/// dl-api's `/readyz` (its OpenAPI `Readiness`): what this reads of it.
#[derive(Deserialize)]
struct Readiness {
    status: String,
    reason: Option<String>,
    #[serde(default)]
    models: Vec<ModelReadiness>,
}

#[derive(Deserialize)]
struct ModelReadiness {
    placement: Option<Placement>,
}

#[derive(Deserialize)]
struct Placement {
    provider: String,
    reason: Option<String>,
}

/// One replica's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Up and not ready: the requested provider cannot be had, and why.
    Unavailable(String),
    /// Still loading its models.
    Loading,
    /// Serving: the providers its models run on, and why not the requested one if so.
    Runs { providers: BTreeSet<String>, reason: Option<String> },
}

fn parse(body: &[u8]) -> Option<Answer> {
    let r: Readiness = serde_json::from_slice(body).ok()?;
    Some(match r.status.as_str() {
        "unavailable" => Answer::Unavailable(r.reason.unwrap_or_else(|| "no reason given".into())),
        "ready" => {
            let placed: Vec<Placement> = r.models.into_iter().filter_map(|m| m.placement).collect();
            let reason = placed.iter().find_map(|p| p.reason.clone());
            Answer::Runs { providers: placed.into_iter().map(|p| p.provider).collect(), reason }
        }
        _ => Answer::Loading,
    })
}

/// Asks every running replica (`ip:port`) at once; those that don't answer are left out.
pub async fn read(http: &reqwest::Client, endpoints: &[String]) -> Vec<Answer> {
    let asks = endpoints.iter().map(|ep| async move { parse(&served::readyz(http, ep).await?) });
    futures_util::future::join_all(asks).await.into_iter().flatten().collect()
}

/// The outcome for the status.
pub struct Verdict {
    /// `cpu`, `cuda` or `mixed`; the previous value while no replica says (loading, silent).
    pub provider: Option<String>,
    pub condition: Condition,
}

impl Verdict {
    /// CUDA asked for and not to be had: the replicas cannot serve (their `Ready` says it too).
    pub fn unavailable(&self) -> bool {
        self.condition.reason == "CudaUnavailable"
    }
}

/// Compares where the replicas run with `requested` (`cpu` or `cuda`).
pub fn judge(
    requested: &str,
    answers: &[Answer],
    asked: usize,
    previous: Option<&String>,
    generation: Option<i64>,
) -> Verdict {
    let cond = |status: &str, reason: &str, message: String| Condition {
        type_: CONDITION.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        last_transition_time: String::new(),
        observed_generation: generation,
    };
    let unavailable: Vec<&String> = answers
        .iter()
        .filter_map(|a| match a {
            Answer::Unavailable(reason) => Some(reason),
            _ => None,
        })
        .collect();
    if let Some(first) = unavailable.first() {
        let message = format!("{} of {} replicas cannot run on {requested}: {first}", unavailable.len(), answers.len());
        return Verdict { provider: None, condition: cond("False", "CudaUnavailable", message) };
    }
    let running: Vec<(&BTreeSet<String>, &Option<String>)> = answers
        .iter()
        .filter_map(|a| match a {
            Answer::Runs { providers, reason } => Some((providers, reason)),
            _ => None,
        })
        .collect();
    if running.is_empty() {
        let (reason, message) = if answers.is_empty() {
            ("NoReplicaAnswered", format!("none of {asked} running dl-api replicas answered /readyz"))
        } else {
            ("Loading", format!("{} of {asked} replicas still loading their models", answers.len()))
        };
        return Verdict { provider: previous.cloned(), condition: cond("Unknown", reason, message) };
    }
    let all: BTreeSet<&String> = running.iter().flat_map(|(p, _)| p.iter()).collect();
    let provider = match all.iter().collect::<Vec<_>>()[..] {
        [one] => (*one).clone(),
        [] => {
            return Verdict {
                provider: previous.cloned(),
                condition: cond("Unknown", "Loading", "no model placed yet".into()),
            }
        }
        _ => "mixed".to_string(),
    };
    let off = running.iter().filter(|(p, _)| p.iter().any(|p| p != requested)).count();
    if off == 0 {
        let message = format!("{} of {asked} running replicas run on {requested}", running.len());
        return Verdict { provider: Some(provider), condition: cond("True", "AsRequested", message) };
    }
    let why = running.iter().find_map(|(_, r)| r.as_deref()).unwrap_or("no reason given");
    let message =
        format!("{off} of {} replicas run on {provider} instead of {requested} (cpuFallback): {why}", running.len());
    Verdict { provider: Some(provider), condition: cond("False", "CpuFallback", message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(providers: &[&str], reason: Option<&str>) -> Answer {
        Answer::Runs { providers: providers.iter().map(|p| p.to_string()).collect(), reason: reason.map(Into::into) }
    }

    #[test]
    fn dl_apis_answers_are_read_ready_or_not() {
        let unavailable = br#"{"status":"unavailable","reason":"CUDA execution provider unavailable: libcuda.so.1: cannot open shared object file"}"#;
        assert_eq!(
            parse(unavailable),
            Some(Answer::Unavailable(
                "CUDA execution provider unavailable: libcuda.so.1: cannot open shared object file".into()
            ))
        );
        let fallback = br#"{"status":"ready","models":[{"name":"efficientnet-lite0","ready":true,"placement":{"requested":"cuda","provider":"cpu","reason":"no driver"}}]}"#;
        assert_eq!(parse(fallback), Some(runs(&["cpu"], Some("no driver"))));
        assert_eq!(parse(br#"{"status":"loading"}"#), Some(Answer::Loading));
        // An older dl-api: ready, no placement reported.
        assert_eq!(parse(br#"{"status":"ready","models":[{"name":"x","ready":true}]}"#), Some(runs(&[], None)));
        assert_eq!(parse(b"not json"), None);
    }

    #[test]
    fn cuda_that_cannot_be_had_is_never_reported_as_running() {
        let v =
            judge("cuda", &[Answer::Unavailable("libcuda.so.1: cannot open".into())], 1, Some(&"cuda".into()), Some(2));
        assert_eq!((v.condition.status.as_str(), v.condition.reason.as_str()), ("False", "CudaUnavailable"));
        assert_eq!(v.condition.message, "1 of 1 replicas cannot run on cuda: libcuda.so.1: cannot open");
        assert_eq!(v.provider, None, "nothing runs: no provider, whatever was there before");
        assert!(v.unavailable());
    }

    #[test]
    fn a_fallback_to_cpu_is_reported_with_its_reason() {
        let v = judge("cuda", &[runs(&["cpu"], Some("no driver")), runs(&["cpu"], Some("no driver"))], 2, None, None);
        assert_eq!((v.condition.status.as_str(), v.condition.reason.as_str()), ("False", "CpuFallback"));
        assert_eq!(v.provider.as_deref(), Some("cpu"));
        assert!(v.condition.message.contains("2 of 2 replicas run on cpu instead of cuda (cpuFallback): no driver"));
        assert!(!v.unavailable());
        let mixed = judge("cuda", &[runs(&["cuda"], None), runs(&["cpu"], Some("no device"))], 2, None, None);
        assert_eq!(mixed.provider.as_deref(), Some("mixed"));
        assert!(
            mixed.condition.message.starts_with("1 of 2 replicas run on mixed instead of cuda"),
            "{}",
            mixed.condition.message
        );
    }

    #[test]
    fn as_requested_and_unknown() {
        let v = judge("cpu", &[runs(&["cpu"], None)], 1, None, None);
        assert_eq!((v.condition.status.as_str(), v.provider.as_deref()), ("True", Some("cpu")));
        let silent = judge("cuda", &[], 2, Some(&"cuda".into()), None);
        assert_eq!(
            (silent.condition.status.as_str(), silent.condition.reason.as_str()),
            ("Unknown", "NoReplicaAnswered")
        );
        assert_eq!(silent.provider.as_deref(), Some("cuda"), "kept while nobody says");
        let loading = judge("cuda", &[Answer::Loading], 1, None, None);
        assert_eq!(loading.condition.reason, "Loading");
    }
}
