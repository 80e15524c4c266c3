# Build the self-contained executable in a Bun stage; ship only the binary on distroless.
#   docker build --build-arg VERSION=$(jq -r .version package.json) --build-arg REVISION=$(git rev-parse HEAD) \
#     -t completion-service:0.1.0 .
# Base images are pinned. The Bun image by tag (the version the project is built and tested with;
# no digest of it was at hand: add `@sha256:…` from `docker buildx imagetools inspect oven/bun:1.4.5`);
# distroless by tag and digest (refresh both together, with the same command).
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production
COPY src ./src
# The build script compiles in the commit (no .git in the build context): REVISION, as for the label.
COPY scripts/build.ts ./scripts/build.ts
ARG REVISION=""
RUN COMPLETION_SERVICE_COMMIT="${REVISION}" bun run build \
 && mkdir -p /out/spool

# glibc and libstdc++ are all the compiled Bun executable needs.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="completion-service" \
      org.opencontainers.image.description="LLM gateway: one completions API and NDJSON stream over many providers, with usage events to RabbitMQ" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"
COPY --from=build /app/dist/completion-service /usr/local/bin/completion-service
# Usage events wait here while the broker is unreachable. It belongs to the nonroot user (uid and
# gid 65532) the service runs as; a named volume mounted here starts with that ownership, and
# Kubernetes gives its volume the same with fsGroup 65532. Mount a volume that outlives the
# container, or the events waiting in it are lost with it (docs/operations.md, "The spool").
COPY --from=build --chown=65532:65532 /out/spool /home/nonroot/spool
VOLUME ["/home/nonroot/spool"]
# Bun's fetch runs at most 256 upstream calls at once unless BUN_CONFIG_MAX_HTTP_REQUESTS raises it;
# MIMALLOC_PURGE_DELAY (ms) returns freed memory to the system; BUN_JSC_forceRAMSize sizes the
# JavaScript heap for 1 GB rather than the whole machine (peak RSS at c100 ~110 MB, not ~210).
ENV PORT=4000 \
    EVENTS_SPOOL_DIR=/home/nonroot/spool \
    BUN_CONFIG_MAX_HTTP_REQUESTS=10000 \
    MIMALLOC_PURGE_DELAY=100 \
    BUN_JSC_forceRAMSize=1073741824
EXPOSE 4000
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
# Ready or not, asked of the service itself (there is no curl in the image): exit 0 on 200 from
# /api/v1/health/ready. A container that is draining or lost its mapping turns unhealthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/completion-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/completion-service"]
