# The lms-export worker. Scale it with `docker compose up --scale worker=3`: every replica polls the same task
# queue, and Temporal hands each page to exactly one of them.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
USER node
CMD ["node", "bin/lms-export.js", "worker"]
