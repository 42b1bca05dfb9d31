# Stand-in for the redis image on a machine with no registry: Debian 12's own
# redis-server (7.0, the version docker-compose.yml names) on the debootstrapped base.
# Built by scripts/compose-offline.sh; the image name is set in docker-compose.offline.yml.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/*
# The upstream image turns protected mode off when it builds Redis (other containers
# must connect, and compose gives no password); docker-compose.yml replaces the
# command, so the switch goes into a `redis-server` ahead of Debian's on PATH.
RUN printf '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n' >/usr/local/bin/redis-server \
 && chmod 0755 /usr/local/bin/redis-server
# docker-compose.yml mounts the AOF volume at /data and runs `redis-server ...` there.
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
