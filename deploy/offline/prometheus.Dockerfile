# Stand-in for the prom/prometheus image: Debian 12's prometheus package. Like the
# upstream image, the binary is the entrypoint and docker-compose.yml gives the flags;
# wget answers the health check, as busybox's does upstream.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus wget \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
