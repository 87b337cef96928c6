#!/usr/bin/env bash
# Build tools the workspace needs beyond Rust, from Debian: cmake and nasm, which build the
# libjpeg-turbo that dl-api links statically (turbojpeg-sys bundles its sources; nasm
# assembles its SIMD code — without it the build still works, at a fraction of the speed).
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v nasm >/dev/null || need+=(nasm)
command -v cc >/dev/null || need+=(gcc)
if ((${#need[@]})); then
  echo "build-deps: installing ${need[*]} from Debian…" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
