//! The committed CRDs and samples match the Rust types.

use operator::crd::{ApiTenant, ModelDeployment};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_crds_match_the_types() {
    let generated = operator::crd::all_yaml();
    for file in ["crds/crds.yaml", "kustomize/base/crds.yaml", "charts/gajyeogagu/crds/crds.yaml"] {
        let path = root().join(file);
        if std::env::var_os("UPDATE_CRDS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == generated, "{file} is stale: run `make crds` and commit it");
    }
}

#[test]
fn samples_parse_as_the_types() {
    let md: ModelDeployment =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("crds/samples/model-deployment.yaml")).unwrap())
            .unwrap();
    assert_eq!(md.spec.replicas, Some(2));
    let t: ApiTenant =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("crds/samples/api-tenant.yaml")).unwrap()).unwrap();
    assert_eq!(t.spec.model_deployment.as_deref(), Some("furniture-vision"));
}

#[test]
fn schemas_carry_the_cel_rules_and_printer_columns() {
    let yaml = operator::crd::all_yaml();
    for rule in [
        "self.minReplicas <= self.maxReplicas",
        "self.matches('^[a-f0-9]{64}$')",
        "self == oldSelf",
        "!(has(self.replicas) && has(self.autoscaling))",
    ] {
        assert!(yaml.contains(rule), "missing CEL rule {rule}");
    }
    for col in ["name: Ready", "name: Replicas", "name: Endpoint", "name: Age"] {
        assert!(yaml.contains(col), "missing printer column {col}");
    }
    assert!(yaml.contains("- md") && yaml.contains("- tenant"), "short names");
}
