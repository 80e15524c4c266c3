# Build the self-contained executable in a Bun stage; ship only the binary on distroless.
FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production
COPY src ./src
# The build script compiles in the commit: pass --build-arg COMPLETION_SERVICE_COMMIT=$(git rev-parse --short=12 HEAD).
COPY scripts/build.ts ./scripts/build.ts
ARG COMPLETION_SERVICE_COMMIT=""
RUN bun run build

# glibc and libstdc++ are all the compiled Bun executable needs.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /app/dist/completion-service /usr/local/bin/completion-service
# Usage events wait here while the broker is unreachable: mount a volume to keep them across restarts.
# Bun's fetch runs at most 256 upstream calls at once unless BUN_CONFIG_MAX_HTTP_REQUESTS raises it;
# MIMALLOC_PURGE_DELAY (ms) returns freed memory to the system; BUN_JSC_forceRAMSize sizes the
# JavaScript heap for 1 GB rather than the whole machine (peak RSS at c100 ~110 MB, not ~210).
ENV PORT=4000 \
    EVENTS_SPOOL_DIR=/home/nonroot/spool \
    BUN_CONFIG_MAX_HTTP_REQUESTS=10000 \
    MIMALLOC_PURGE_DELAY=100 \
    BUN_JSC_forceRAMSize=1073741824
EXPOSE 4000
USER nonroot
ENTRYPOINT ["/usr/local/bin/completion-service"]
