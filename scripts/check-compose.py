#!/usr/bin/env python3
"""Static checks of the compose files (make compose-e2e also runs the CPU one for real):
they parse, every service has an image or a build whose context and Dockerfile exist,
depends_on names real services, and secrets/volumes used are declared."""
import os
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
base = os.path.join(root, "deploy/compose")
errors = []
merged = {"services": {}, "secrets": {}, "volumes": {}}
for name in ["docker-compose.cpu.yaml", "docker-compose.gpu.yaml"]:
    doc = yaml.safe_load(open(os.path.join(base, name)))
    for key in merged:
        for k, v in (doc.get(key) or {}).items():
            merged[key].setdefault(k, {}).update(v or {})
for svc, spec in merged["services"].items():
    build = spec.get("build")
    if not build and not spec.get("image"):
        errors.append(f"{svc}: neither image nor build")
    if build:
        ctx = os.path.normpath(os.path.join(base, build["context"]))
        dockerfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
        if not os.path.isdir(ctx) or not os.path.isfile(dockerfile):
            errors.append(f"{svc}: build context/Dockerfile missing: {dockerfile}")
    for dep in spec.get("depends_on") or {}:
        if dep not in merged["services"]:
            errors.append(f"{svc}: depends_on unknown service {dep}")
    for s in spec.get("secrets") or []:
        if s not in merged["secrets"]:
            errors.append(f"{svc}: undeclared secret {s}")
    for v in spec.get("volumes") or []:
        vol = v.split(":")[0]
        if not vol.startswith((".", "/")) and vol not in merged["volumes"]:
            errors.append(f"{svc}: undeclared volume {vol}")
gpu = merged["services"]["dl-api"].get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
if not any(d.get("driver") == "nvidia" for d in gpu):
    errors.append("gpu file: dl-api does not request an nvidia device")
print("\n".join(errors) or f"compose files OK: {sorted(merged['services'])}")
sys.exit(1 if errors else 0)
