#!/usr/bin/env python3
"""Validate rendered Kubernetes manifests (multi-document YAML on stdin or files).

Built-in kinds go through kubernetes-validate (offline schemas, strict: unknown fields
fail) for the given Kubernetes version; custom resources of our CRDs are checked against
the CRD's openAPIV3Schema with jsonschema (kubernetes-validate skips them).
Usage: validate-manifests.py K8S_VERSION CRDS.yaml FILE...
"""
import sys

import jsonschema
import kubernetes_validate
import yaml


def crd_schemas(path):
    out = {}
    for doc in yaml.safe_load_all(open(path)):
        if doc and doc.get("kind") == "CustomResourceDefinition":
            group = doc["spec"]["group"]
            kind = doc["spec"]["names"]["kind"]
            for v in doc["spec"]["versions"]:
                out[(f"{group}/{v['name']}", kind)] = v["schema"]["openAPIV3Schema"]
    return out


def main():
    version, crds, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    schemas = crd_schemas(crds)
    failures = 0
    checked = 0
    for f in files:
        for doc in yaml.safe_load_all(open(f)):
            if not doc:
                continue
            key = (doc.get("apiVersion"), doc.get("kind"))
            name = f"{f}: {key[1]} {doc.get('metadata', {}).get('name')}"
            checked += 1
            try:
                if key in schemas:
                    jsonschema.validate(doc, schemas[key])
                else:
                    kubernetes_validate.validate(doc, version, strict=True)
            except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
                failures += 1
                print(f"INVALID {name}: {getattr(e, 'message', e)}")
            except kubernetes_validate.SchemaNotFoundError as e:
                failures += 1
                print(f"NO SCHEMA {name}: {e}")
    print(f"validated {checked} objects, {failures} invalid")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
