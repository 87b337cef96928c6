//! The evaluation set as a regression guard: numbers well under what `make eval`
//! reports (docs/ml.md), so only a real regression (preprocessing, export, label
//! mapping) trips them.

use clap::Parser;
use dl_api::config::Config;
use dl_api::eval;
use dl_api::models::image::ImageModel;

#[test]
fn category_accuracy_and_retrieval_precision_hold() {
    let dir = crate::helpers::eval_dir();
    let config = Config::parse_from(["dl-eval"]);
    let env = dl_api::runtime::environment(&config.ort_library()).unwrap();
    let model = ImageModel::load(&config.image_dir()).unwrap();
    let mut session =
        dl_api::runtime::session(env, &config.image_dir().join("model.onnx"), 2, config.execution_provider).unwrap();
    let labels = eval::read_labels(&dir).unwrap();
    assert!(labels.len() >= 200, "evaluation set shrank to {}", labels.len());
    let items = eval::embed_all(&model, &mut session, &dir, &labels).unwrap();
    let r = eval::evaluate(&items);
    assert!(r.imagenet_accuracy >= 0.68, "ImageNet mapping accuracy {:.3}", r.imagenet_accuracy);
    assert!(r.combined_accuracy >= 0.74, "combined accuracy {:.3}", r.combined_accuracy);
    assert!(r.precision_at_5 >= 0.65, "precision@5 {:.3}", r.precision_at_5);
}
