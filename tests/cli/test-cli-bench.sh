#!/usr/bin/env bash
# prunelens-cli bench: the lines and the JSON it prints (not the timings), the step
# benchmark, and the OpenBLAS kernel re-exec guard. Exit codes: 0 success, 1 failure.
# Usage: test-cli-bench.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

model="$src/data/models/fashion-cnn.onnx"
expect forward-json 0 -- env PL_NUM_THREADS=2 "$cli" bench forward --repeats 1 --json "$model"
check json-valid python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"
check json-b1 grep -q '"name" : "forward-b1"' "$tmp/out"
check json-b64 grep -q '"name" : "forward-b64"' "$tmp/out"
check json-threads grep -q '"threads" : 2' "$tmp/out"
check json-unit grep -q '"unit" : "images/s"' "$tmp/out"

expect forward-text 0 -- "$cli" bench forward --repeats 1 "$model"
check text-kernels grep -q 'OpenBLAS kernels' "$tmp/out"
check text-cpu grep -q 'images per CPU-second' "$tmp/out"

# the re-exec happens at most once and never when OPENBLAS_CORETYPE is set
expect forced-core 0 -- env OPENBLAS_CORETYPE=Prescott "$cli" bench forward --repeats 1 "$model"
check forced-core-kept grep -q 'OpenBLAS kernels Prescott, OPENBLAS_CORETYPE=Prescott' "$tmp/out"
expect no-reexec 0 -- env PL_NO_CPU_REEXEC=1 "$cli" --version

if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  expect step 0 -- "$cli" bench step --repeats 1 "$model"
  check step-line grep -q '^interactive step .*: [0-9.]* ms (median of 1' "$tmp/out"
fi

expect bad-kind 2 -- "$cli" bench sideways
expect bad-repeats 2 -- "$cli" bench forward --repeats 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
