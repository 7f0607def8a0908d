# Tasks Executor manager as one compiled binary, run as a non-root user.
# The example worker is a second target: `docker build --target worker .`

FROM denoland/deno:2.7.14 AS build
WORKDIR /src
COPY . .
RUN deno task compile

FROM debian:bookworm-slim AS manager
RUN useradd --system --uid 10001 --home-dir /var/lib/tasks-executor --create-home tasks
COPY --from=build /src/dist/tasks-executor /usr/local/bin/tasks-executor
USER tasks
WORKDIR /var/lib/tasks-executor
ENV DATA_DIR=/var/lib/tasks-executor/data \
    MANAGER_PORT=8080 \
    MANAGER_GRPC_PORT=50051
EXPOSE 8080 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/tasks-executor", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tasks-executor"]

FROM denoland/deno:2.7.14 AS worker
WORKDIR /app
COPY deno.json deno.lock ./
COPY proto ./proto
COPY sdk ./sdk
COPY examples ./examples
RUN deno cache examples/my_handler_worker.ts
USER deno
CMD ["deno", "run", "--allow-net", "--allow-env", "--allow-read", "examples/my_handler_worker.ts"]
