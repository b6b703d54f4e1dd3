# syntax=docker/dockerfile:1
# Shiftwire: multi-stage build. Stage 1 compiles TypeScript and installs production dependencies from the
# lockfile; stage 2 is the slim runtime, non-root, with the database on the /data volume.
# The production smoke test (test/production-smoke.test.ts) performs these same steps without Docker.

ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 is a native addon: its prebuilt binary is used when available, else it compiles.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/shiftwire.db \
    FEEDS_FILE=/app/feeds.yaml \
    TAXONOMY_FILE=/app/taxonomy.yaml \
    LOG_FORMAT=json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json feeds.yaml taxonomy.yaml ./
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root bin ./bin
RUN mkdir -p /data && chown node:node /data
# The image's files belong to root and are read-only for the service; only /data is writable.
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (graceful shutdown: stop the scheduler, drain, close the db).
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js", "serve"]
