# QuorumKV node image. Build: docker build -t quorumkv .
# Run:   docker run -p 6379:6379 -e QKV_CLUSTER_SECRET=... -e QKV_REQUIREPASS=... -v qkv-data:/data quorumkv
FROM node:20-bookworm-slim

WORKDIR /app
# The same install step as .ci/run: npm ci runs the build (prepare), then dev packages are dropped.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY resp ./resp
COPY src ./src
COPY types ./types
RUN npm ci && npm prune --omit=dev && npm cache clean --force

RUN groupadd --system quorumkv && useradd --system --gid quorumkv --home /data quorumkv \
  && mkdir -p /data && chown quorumkv:quorumkv /data
USER quorumkv
VOLUME ["/data"]

# Clients outside the container reach it through 0.0.0.0, which needs a cluster secret (and a password for clients).
ENV QKV_BIND=0.0.0.0 \
    QKV_DATA_DIR=/data/node
# RESP, peer TCP and gossip UDP, metrics.
EXPOSE 6379 16379 16379/udp 9121

ENTRYPOINT ["node", "bin/quorumkv.js"]
CMD ["server", "--n", "1", "--r", "1", "--w", "1"]
