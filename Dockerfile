# Solo OS bot image. Runs as the unprivileged `node` user; data under /data.
FROM node:24-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    LOG_FORMAT=json

WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/check-node.cjs scripts/check-node.cjs
# abort-controller resolves to this folder (see shims/abort-controller/README.md).
COPY shims shims
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY src src
COPY adapters adapters
COPY agents agents
COPY prompts prompts
COPY policies policies

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

CMD ["node", "bin/solo.js"]
