# crud-api: build the release binary and the Wasm plugins, run on a slim base as non-root.
# docker build -f deploy/docker/crud-api.Dockerfile -t gajyeogagu/crud-api:dev .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN rustup target add wasm32-wasip2 \
 && make plugins \
 && cargo build --release -p crud-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/crud-api /usr/local/bin/crud-api
COPY --from=build /src/target/wasm32-wasip2/plugin/payment_standard.wasm /src/target/wasm32-wasip2/plugin/recommend_style.wasm /opt/gajyeogagu/plugins/
USER 65532:65532
EXPOSE 8001
ENTRYPOINT ["/usr/local/bin/crud-api"]
