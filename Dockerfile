# One image for every linkhop process; the command picks the role (api, workers, consumer).
# Stage 1 builds the browser app (web/dist) with the dev dependencies; the final image carries only its output.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:web

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm install rather than npm ci: the lock only records this platform's optional native binaries.
# --ignore-scripts: the web app's build step (prepare) needs dev dependencies; stage 1 ran it.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=web /app/web/dist ./web/dist
USER node
EXPOSE 8000
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "api/server.ts"]
