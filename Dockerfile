# jool-session-exporter: bundled with dev dependencies (esbuild), run as one file on Node.js 20.
#
#   docker build -t jool-session-exporter .
#   docker run -d --name jool-session-exporter --network host --cap-add NET_ADMIN \
#     jool-session-exporter --jool.instance=default
#
# The image's jool client (Debian bookworm's jool-tools, 4.1.9) must match the version of the
# host's Jool kernel module: Jool refuses a client of another version. See "Deploy" in README.md.

# --- build: one CommonJS bundle (esbuild, a dev dependency) ----------------------------------
# The Debian package (npm run package) is built from this same bundle, dist/bundle/*.cjs, made
# by the same script: the image and the package cannot drift apart.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script (the build) needs src/, which is copied below; this layer
# of dependencies is then reused as long as package-lock.json does not change.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY packaging/bundle.mjs ./packaging/
COPY src ./src
RUN npm run bundle

# --- runtime ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
# jool-tools: the jool client that talks to the host's kernel module (its version must match the
# module's). iproute2: `ip netns exec`, for --jool.instance=NAME@NETNS.
# Jool's kernel module checks capable(CAP_NET_ADMIN) for `session`, `pool4`, `instance` and
# `global display` (only `stats display` is exempt), and this image runs as a non-root user, for
# whom Docker's --cap-add only fills the bounding set. So /usr/bin/jool gets the file capability
# cap_net_admin+ep: run with `--cap-add NET_ADMIN` and jool (only jool, not node) has it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends jool-tools iproute2 \
 && setcap cap_net_admin+ep /usr/bin/jool \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The bundle holds the program and its production dependencies: no node_modules, no npm here.
COPY --from=build /app/dist/bundle/jool-session-exporter.cjs ./
ENV NODE_ENV=production
# Memory: the systemd unit's settings (deploy/systemd/jool-session-exporter.service explains them;
# docs/performance.md, "Memory, second pass", measures them). One variable per ENV line.
ENV MALLOC_MMAP_THRESHOLD_=131072
ENV NODE_OPTIONS=--max-semi-space-size=2
# The node image's unprivileged `node` user, numerically (so that runAsNonRoot can verify it).
USER 1000:1000
EXPOSE 9812
# Probes the default listen address; with another --web.listen-address, override it with
# `docker run --health-cmd`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9812/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/jool-session-exporter.cjs"]
