# syntax=docker/dockerfile:1
# scim-sidecar container: build with the full toolchain, run on a slim Node LTS as a non-root
# user. Works with a read-only root filesystem: the only writes go to /data (the id map).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The dependencies alone, for a layer that outlives source changes: the sources are not here yet,
# so package.json's prepare (the build, in a checkout) is left to `npm run build` below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# HOST and PORT feed the demo command, ${HOST}/${PORT} in config.yaml and the HEALTHCHECK below.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.example.yaml ./
COPY schemas ./schemas
COPY mappings ./mappings
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--config", "/config/config.yaml"]
