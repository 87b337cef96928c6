# crud-api on a slim Debian base, as non-root, read-only root file system friendly (writes go to
# /data and /tmp, which the operator and compose mount).
#
# Anywhere:    docker build -f deploy/docker/crud-api.Dockerfile -t gajyeogagu/crud-api:dev .
#              (compiles the release binary and the Wasm plugins in the `build` stage)
# This repo:   make images  — the same file with RUNTIME_IMAGE set to a base made from Debian
#              packages and BINARIES=prebuilt, which packages binaries already built on the
#              host (target/$PROFILE) instead of compiling again. Needs BuildKit (unused stages
#              are skipped).
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG BINARIES=build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN rustup target add wasm32-wasip2 \
 && make plugins \
 && cargo build --release -p crud-api \
 && mkdir -p /out/plugins \
 && cp target/release/crud-api /out/ \
 && cp target/wasm32-wasip2/plugin/payment_standard.wasm target/wasm32-wasip2/plugin/payment_promo.wasm \
       target/wasm32-wasip2/plugin/recommend_style.wasm /out/plugins/

FROM scratch AS prebuilt
ARG PROFILE=release
COPY target/${PROFILE}/crud-api /out/crud-api
COPY target/wasm32-wasip2/plugin/payment_standard.wasm target/wasm32-wasip2/plugin/payment_promo.wasm \
     target/wasm32-wasip2/plugin/recommend_style.wasm /out/plugins/

FROM ${BINARIES} AS binaries

FROM ${RUNTIME_IMAGE}
# Toss is called over HTTPS: CA certificates (the base made here already has them).
RUN [ -e /etc/ssl/certs/ca-certificates.crt ] || { apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*; }
# /data belongs to the service user, so a fresh volume mounted there is writable.
RUN mkdir -p /data && chown 65532:65532 /data
COPY --from=binaries /out/crud-api /usr/local/bin/crud-api
COPY --from=binaries /out/plugins/ /opt/gajyeogagu/plugins/
# The same paths the operator's Deployment uses; /data and /tmp are volumes there.
ENV CRUD_API_ADDR=0.0.0.0:8001 \
    DATABASE_URL=sqlite:///data/gajyeogagu.db \
    IMAGE_DIR=/data/images \
    MAIL_DIR=/data/mail \
    PLUGIN_CACHE_DIR=/tmp/plugin-cache
WORKDIR /data
USER 65532:65532
EXPOSE 8001
ENTRYPOINT ["/usr/local/bin/crud-api"]
