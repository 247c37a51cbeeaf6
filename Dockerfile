# Solo OS bot image. Runs as the unprivileged `node` user; everything it writes (the embedded store, the import
# folder, embedding models) lives under /data, owned by `node`.
FROM node:24-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    IMPORT_DIR=/data/import \
    MODELS_DIR=/data/models \
    LOG_FORMAT=json

WORKDIR /app
# .npmrc: the same install switches as a plain `npm install` (onnxruntime keeps its bundled CPU build).
COPY package.json package-lock.json .npmrc ./
# `preinstall` runs scripts/check-node.cjs; abort-controller resolves to shims/ (see shims/abort-controller/README.md).
COPY scripts/check-node.cjs scripts/check-node.cjs
COPY shims shims
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY src src
COPY adapters adapters
COPY agents agents
COPY prompts prompts
COPY policies policies
# The consultant's packages and proposal templates (PACKAGES_DIR, TEMPLATES_DIR).
COPY packages packages
COPY templates templates
# scripts/models.ts: `docker compose run --rm bot npm run models` downloads the embedding model into MODELS_DIR.
COPY scripts scripts

RUN mkdir -p /data/import /data/models && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

CMD ["node", "bin/solo.js"]
