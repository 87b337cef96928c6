//! Writes the CRDs generated from the Rust types: `cargo run -p operator --bin crdgen > crds/crds.yaml`
//! (`make crds`). A test fails when the committed file drifts from the types.

fn main() {
    print!("{}", operator::crd::all_yaml());
}
