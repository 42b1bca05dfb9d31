# Stand-in for the postgres:15-bookworm image on a machine with no registry: Debian 12's
# own postgresql-15 (the version docker-compose.yml names) on the debootstrapped base,
# with an entrypoint that does what the upstream one does for the variables compose
# sets: initialise an empty data folder once, with POSTGRES_PASSWORD for the
# superuser, run /docker-entrypoint-initdb.d, then start the server.
# Built by scripts/compose-offline.sh; the image name is set in docker-compose.offline.yml.
FROM debian:bookworm-slim
# No main cluster: the data folder is the volume's, made by the entrypoint.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
# The upstream image drops to its postgres user too; here it never was root, and a new
# named volume takes the ownership of the folder above.
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
