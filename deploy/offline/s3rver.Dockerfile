# Stand-in for MinIO: s3rver, the S3 server the lab and the tests run, with Debian 12's
# nodejs. npm cannot reach its registry from inside a container on these machines
# (TLS is intercepted by a CA only the host trusts), so the script copies the host's
# node_modules (installed by `npm ci` from the lockfile) into this build's context.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
COPY node_modules/ /opt/s3rver/node_modules/
COPY s3rver-ready.js /opt/s3rver/s3rver-ready.js
WORKDIR /data
EXPOSE 9000
# Path-style buckets only, as the app addresses them; the bucket exists from the start.
ENTRYPOINT ["/opt/s3rver/node_modules/.bin/s3rver", "--address", "0.0.0.0", "--port", "9000", "--directory", "/data", "--no-vhost-buckets"]
CMD ["--configure-bucket", "scalelab"]
