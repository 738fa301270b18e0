# syntax=docker/dockerfile:1
#
# mfa-service image: compiled with the full toolchain, run with production dependencies only.
#
#   docker build -t mfa-service .
#   docker compose up --build          (the whole stack, see docker-compose.yml)
#
# The image runs as the unprivileged "node" user with NODE_ENV=production. In production the
# service refuses AUTH_JWT_SECRET (a shared HS256 secret is for development and tests only):
# give it AUTH_JWKS_URL or AUTH_JWT_PUBLIC_KEY. Every variable is listed in .env.example.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------- deps: all dependencies
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# @scarf/scarf (pulled in by swagger-ui-dist) reports installs unless told not to.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# ---------------------------------------------------------------- build: TypeScript -> dist/
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY apps ./apps
# No source maps in the image (they would ship the TypeScript sources); specs are excluded by
# tsconfig.build.json and .dockerignore. The check fails the build if either slipped in.
RUN npx tsc -p tsconfig.build.json --sourceMap false && npx tsc-alias -p tsconfig.build.json \
 && ! find dist \( -name '*.map' -o -name '*.spec.js' -o -path '*/test/*' \) -print | grep .

# ---------------------------------------------------------------- prod-deps: runtime dependencies
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node and reaps zombies (node also handles SIGTERM from its
# first instant, see main.ts).
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and read-only for the service user: the process cannot modify its own code.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# "node" (uid 1000) ships with the official image. Nothing is written at run time: the container
# can run with a read-only root filesystem (docker run --read-only, compose read_only: true).
USER 1000:1000
EXPOSE 3000
# Liveness, not readiness: a Kafka or database outage must not get every replica killed while
# commands still work (Kafka down: events wait in the outbox). Readiness is for load balancers.
# The slim image has no curl; Node has fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: drains HTTP, then closes Kafka and MongoDB.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/mfa-service/src/main.js"]
