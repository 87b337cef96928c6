# PostgreSQL 15 from Debian packages, for the compose files on machines that can't pull
# `postgres:15-bookworm` (like this project's: no image registry is reachable). It honours
# the same environment as the official image's first start — POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB — and keeps its data in /var/lib/postgresql/data. Built by scripts/compose-e2e.sh:
#   docker build -f deploy/docker/postgres-local.Dockerfile --build-arg RUNTIME_IMAGE=… .
ARG RUNTIME_IMAGE=debian:bookworm-slim
FROM ${RUNTIME_IMAGE}
# The postgres user first, with the official image's ids (999): a numeric USER lets Kubernetes
# verify runAsNonRoot, and the same securityContext fits both images.
RUN groupadd -r -g 999 postgres && useradd -r -u 999 -g postgres -d /var/lib/postgresql -s /bin/bash postgres \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER 999:999
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
