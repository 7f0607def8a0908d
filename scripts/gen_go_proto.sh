#!/usr/bin/env bash
# Regenerates the Go SDK's stubs from our protos: sdk/go/taskexecutorpb from the original interface
# (proto/taskexecutor/taskexecutor.proto) and sdk/go/taskexecutorv1 from taskexecutor.v1
# (proto/taskexecutor/v1/task_executor.proto, whose Go package is given here with an M option so
# that the .proto stays free of language options) with protoc (Debian protobuf-compiler), protoc-gen-go and protoc-gen-go-grpc (installed into
# .tools from the Go module proxy at the versions below when missing). Run: deno task proto:go
# GO_PROTO_OUT writes the stubs under another directory instead (tests compare them with ours).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go > /dev/null || export PATH="$PATH:/usr/local/go/bin"
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
mkdir -p .tools
[ -x .tools/protoc-gen-go ] ||
  GOBIN="$PWD/.tools" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
[ -x .tools/protoc-gen-go-grpc ] ||
  GOBIN="$PWD/.tools" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
command -v protoc > /dev/null || {
  echo "protoc is missing: apt-get install protobuf-compiler" >&2
  exit 1
}
OUT="${GO_PROTO_OUT:-sdk/go}"
mkdir -p "$OUT"
PATH="$PWD/.tools:$PATH" protoc -I proto \
  --go_out="$OUT" --go_opt=module=tasks-executor/sdk/go \
  --go-grpc_out="$OUT" --go-grpc_opt=module=tasks-executor/sdk/go \
  taskexecutor/taskexecutor.proto
V1=taskexecutor/v1/task_executor.proto
V1_GO=tasks-executor/sdk/go/taskexecutorv1
PATH="$PWD/.tools:$PATH" protoc -I proto \
  --go_out="$OUT" --go_opt=module=tasks-executor/sdk/go --go_opt="M$V1=$V1_GO" \
  --go-grpc_out="$OUT" --go-grpc_opt=module=tasks-executor/sdk/go --go-grpc_opt="M$V1=$V1_GO" \
  "$V1"
echo "Wrote $OUT/taskexecutorpb and $OUT/taskexecutorv1"
