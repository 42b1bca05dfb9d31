# Stand-in for the prometheuscommunity/postgres-exporter:v0.11.1 image: Debian 12's
# prometheus-postgres-exporter, the same 0.11.1. Like the upstream image, the binary is
# the entrypoint, listens on :9187 and reads DATA_SOURCE_NAME from the environment.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-postgres-exporter \
 && rm -rf /var/lib/apt/lists/*
USER prometheus
EXPOSE 9187
ENTRYPOINT ["/usr/bin/prometheus-postgres-exporter"]
