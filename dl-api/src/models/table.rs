//! The one table of the models dl-api serves. Everything that goes by a model's name — which
//! slot serves it, what the configuration says about it, the order `/v2/models` and readiness
//! list them, which may be left out — reads this table, so a fourth model is one entry here
//! (plus its two settings in `Config`, which `--help` and the environment document).

use std::path::PathBuf;

use crate::config::Config;

/// How a model's files become a backend (`ModelKind`), and which slot type serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// EfficientNet-style: photos in, logits and an embedding out (`image::ImageModel`).
    Image,
    /// Sentence embeddings (`text::TextModel`).
    Text,
}

pub struct Entry {
    pub name: &'static str,
    pub kind: Kind,
    /// Served at start only when its repository directory holds a model (unless its directory
    /// is named): deployments may leave it out. Otherwise a missing model fails the start.
    pub optional: bool,
    /// Its directory (`DL_*_MODEL_DIR`; empty: off) and the version to serve at start.
    pub configured: fn(&Config) -> (Option<&PathBuf>, &String),
}

/// Image model first: `/v2/models`, readiness and the repository index list them in this order.
pub const MODELS: [Entry; 3] = [
    Entry {
        name: super::image::NAME,
        kind: Kind::Image,
        optional: false,
        configured: |c| (c.image_model_dir.as_ref(), &c.image_model_version),
    },
    Entry {
        name: super::text::NAME,
        kind: Kind::Text,
        optional: false,
        configured: |c| (c.text_model_dir.as_ref(), &c.text_model_version),
    },
    Entry {
        name: super::multilingual::NAME,
        kind: Kind::Text,
        optional: true,
        configured: |c| (c.multilingual_model_dir.as_ref(), &c.multilingual_model_version),
    },
];

impl Entry {
    /// Its directory (`DL_*_MODEL_DIR`; empty is "off") and the version to serve at start.
    pub fn configured<'a>(&self, config: &'a Config) -> (Option<&'a PathBuf>, &'a String) {
        (self.configured)(config)
    }

    /// Where version `version` lives: the configured directory for the configured version,
    /// the repository for every other.
    pub fn version_dir(&self, config: &Config, version: &str) -> PathBuf {
        match self.configured(config) {
            (Some(dir), configured) if !dir.as_os_str().is_empty() && version == configured => dir.clone(),
            _ => config.repository().join(self.name).join(version),
        }
    }

    /// The directory and version served at start; None when it is off: its directory set
    /// empty, or — an optional model — not named and not in the repository.
    pub fn serves_at_start(&self, config: &Config) -> Option<(PathBuf, String)> {
        let (dir, version) = self.configured(config);
        if dir.is_some_and(|d| d.as_os_str().is_empty()) {
            return None;
        }
        let path = self.version_dir(config, version);
        if self.optional && dir.is_none() && !path.join("model.onnx").is_file() {
            return None;
        }
        Some((path, version.clone()))
    }
}

/// The image model's directory at its configured version (the eval and bench tools).
pub fn image_dir(config: &Config) -> PathBuf {
    let image = &MODELS[0];
    image.version_dir(config, image.configured(config).1)
}

/// The entry for `name`, if this server knows it.
pub fn entry(name: &str) -> Option<&'static Entry> {
    MODELS.iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn text_dir(c: &Config) -> Option<PathBuf> {
        entry(super::super::text::NAME).and_then(|e| e.serves_at_start(c)).map(|(dir, _)| dir)
    }

    #[test]
    fn an_empty_text_model_dir_turns_the_text_model_off() {
        // What the operator's dl-api pods get: DL_TEXT_MODEL_DIR="" (found by `make e2e`: the pod
        // crash-looped on "a value is required for '--text-model-dir'").
        let c = Config::try_parse_from(["dl-api", "--text-model-dir", ""]).expect("an empty value parses");
        assert_eq!(text_dir(&c), None);
        let c = Config::try_parse_from(["dl-api", "--text-model-dir", "/m/text"]).unwrap();
        assert_eq!(text_dir(&c), Some(PathBuf::from("/m/text")));
    }

    #[test]
    fn names_are_unique_and_the_image_model_comes_first() {
        let names: Vec<&str> = MODELS.iter().map(|e| e.name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        assert_eq!(MODELS[0].kind, Kind::Image);
        assert!(entry("use-multilingual-v3").is_some_and(|e| e.optional) && entry("nope").is_none());
    }
}
