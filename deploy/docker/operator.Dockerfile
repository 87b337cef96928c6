# The operator.  docker build -f deploy/docker/operator.Dockerfile -t gajyeogagu/operator:dev .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p operator --bin gajyeogagu-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/gajyeogagu-operator /usr/local/bin/gajyeogagu-operator
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gajyeogagu-operator"]
