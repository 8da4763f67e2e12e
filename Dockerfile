# syntax=docker/dockerfile:1
# Build:  docker build -t event-gateway .                      (the gateway)
#         docker build -t event-api-mock --target mock-api .  (the mock upstream, for demos)
# Run:    docker run --rm -p 3000:3000 -e EVENT_API_BASE_URL=http://host.docker.internal:3001 event-gateway

# Node 24 LTS, the exact version .nvmrc names and CI tests (test/node-versions.e2e-spec.ts checks).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- build: every dependency, compile the gateway and the mock ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/bundle.mjs scripts/bundle-externals.mjs ./scripts/
COPY src ./src
COPY mock-api ./mock-api
RUN npm run build && npm run build:mock

# --- production dependencies only ---
# --omit=optional as well: typescript, our devDependency, is also an optional peer of
# @nestjs/swagger (for its CLI plugin, unused here), so npm marks it devOptional and --omit=dev
# alone would ship it (24 MB). Optional production packages are left out too: each one, and why
# the image can do without it, is listed in test/footprint.e2e-spec.ts.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --ignore-scripts && npm cache clean --force

# --- what the bundled gateway loads from node_modules, and nothing else ---
# The gateway runs from one bundle (dist/bundle, scripts/bundle.mjs); the few packages it leaves
# out of it, and their dependencies, are all its node_modules needs (scripts/runtime-packages.mjs).
FROM ${NODE_IMAGE} AS gateway-deps
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package-lock.json ./
COPY scripts/bundle-externals.mjs scripts/runtime-packages.mjs ./scripts/
RUN node scripts/runtime-packages.mjs --prune /app

# --- the mock upstream ---
FROM ${NODE_IMAGE} AS mock-api
ENV NODE_ENV=production MOCK_API_HOST=0.0.0.0 MOCK_API_PORT=3001
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/mock-api/dist ./mock-api/dist
USER node
EXPOSE 3001
CMD ["node", "mock-api/dist/main.js"]

# --- the gateway (default target) ---
FROM ${NODE_IMAGE} AS gateway
ENV NODE_ENV=production PORT=3000
# V8's heap sized for a 320 MiB container (see deploy/k8s/deployment.yaml for the measurements);
# without it V8 sizes the heap from the host's memory and RSS follows.
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8"
WORKDIR /app
COPY --from=gateway-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist/bundle ./dist/bundle
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Node is PID 1 and handles SIGTERM/SIGINT itself (drain, close, exit 0); it starts no children.
# The bundle's entry turns on Node's compile cache (NODE_COMPILE_CACHE, else the temporary
# directory): a container restarted in place skips compiling the bundle again. Where the root
# filesystem is read-only nothing is cached unless /tmp is a writable volume (the Deployment
# mounts one).
CMD ["node", "dist/bundle/main.js"]
