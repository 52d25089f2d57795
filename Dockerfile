# One image for every linkhop process; the command picks the role (api, workers, consumer).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
USER node
EXPOSE 8000
CMD ["node", "--import", "tsx", "api/server.ts"]
