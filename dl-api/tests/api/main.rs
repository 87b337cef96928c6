//! dl-api end to end: a real server on 127.0.0.1 with the real models.
//! Needs the runtime and models (`make models`) and the evaluation images
//! (`scripts/fetch-eval-images.sh`); `make test` fetches both.

mod analyze;
mod contract;
mod helpers;
mod limits;
mod oip;
mod provider;
mod quality;
mod repository;
mod text;
