# The naive image the benchmark compares against: same runtime base, but node_modules (production
# dependencies only) and the TypeScript sources copied in, run with Node's type stripping.
ARG BUILDER_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot
FROM ${BUILDER_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=deps /build/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["/app/src/main.ts"]
