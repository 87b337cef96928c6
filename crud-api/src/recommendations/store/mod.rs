//! Photo-analysis jobs and product embeddings in the database.

pub mod analysis_jobs;
pub mod embeddings;
pub mod signals;
