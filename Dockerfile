# The lms-export worker. Scale it with `docker compose up --scale worker=3`: every replica polls the same task
# queue, and Temporal hands each page to exactly one of them. The same image runs the CLI
# (`docker compose run --rm worker node bin/lms-export.js start examples/docker-postgres.json --wait`).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
# The workflow bundle, built once here (`npm ci` above ran before the sources were in the image), so that no
# worker start waits for webpack; see src/worker/workflow-bundle.ts.
RUN npm run bundle-workflows
# Example specs ship in the image so the commands in README work without a checkout; your own specs come in
# through the ./specs folder docker-compose.yml mounts at /app/specs.
COPY examples ./examples
# The code runs as the unprivileged `node` user of the base image. DuckDB sinks (`"path": "./data/…"`) and file
# exports write under /app/data, so that folder (and the volume compose mounts there) belongs to it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
CMD ["node", "bin/lms-export.js", "worker"]
