# One image for the worker and the API (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Production workers load a prebuilt workflow bundle instead of bundling at start-up.
RUN npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
COPY --from=build /app /app
USER node
CMD ["npm", "run", "worker"]
