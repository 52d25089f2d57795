# One image for every linkhop process; the command picks the role (api, workers, consumer).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm install rather than npm ci: the lock only records this platform's optional native binaries.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
USER node
EXPOSE 8000
CMD ["node", "--import", "tsx", "api/server.ts"]
