# The operator: one static-ish binary on a minimal base, non-root, writes nothing.
#
# Anywhere:    docker build -f deploy/docker/operator.Dockerfile -t gajyeogagu/operator:dev .
# This repo:   make images  — RUNTIME_IMAGE from Debian packages, BINARIES=prebuilt (the host's
#              target/$PROFILE binary).
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG BINARIES=build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p operator --bin gajyeogagu-operator \
 && mkdir /out && cp target/release/gajyeogagu-operator /out/

FROM scratch AS prebuilt
ARG PROFILE=release
COPY target/${PROFILE}/gajyeogagu-operator /out/gajyeogagu-operator

FROM ${BINARIES} AS binaries

FROM ${RUNTIME_IMAGE}
COPY --from=binaries /out/gajyeogagu-operator /usr/local/bin/gajyeogagu-operator
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gajyeogagu-operator"]
