# One image for every Node process (gateways, subgraph servers, persisters, mailers, migrations);
# docker-compose.yml picks the command. Node 24 runs the TypeScript sources directly.

# Only the package manifests, so the dependency layer is rebuilt when they change, not on every edit.
FROM node:24-slim AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -type d -empty -delete

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# /keys: where the key-generating one-shot writes, and a volume the services mount read-only.
# /data/files: the files service's local storage volume.
RUN mkdir -p /keys /data/files && chown node:node /keys /data/files
USER node
ENV HOST=0.0.0.0 PORT=4000
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "gateway/src/index.ts"]
