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

# frames: the app's scripted session (every action reported, then the worst; not timings)
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] \
   && [ -x "$(dirname "$cli")/../app/prunelens" ] \
   && { [ -n "${DISPLAY:-}" ] || command -v xvfb-run > /dev/null; }; then
  expect frames 0 -- "$cli" bench frames --json
  check frames-json python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
need = ["frames-cpu", "frames-layout", "frames-paint", "frames-wall", "frames-gap", "frames-apply"]
assert all(n in r for n in need), sorted(r)
assert all(r[n]["unit"] == "ms" and r[n]["median"] >= 0 for n in need)
# a frame is work: its CPU time is more than nothing and within its wall time (+ rounding)
assert 0 < r["frames-cpu"]["median"] <= r["frames-wall"]["median"] + 0.5, r
assert r["frames-layout"]["median"] <= r["frames-cpu"]["median"] + 0.01
' "$tmp/out"
  check frames-per-action python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [x["name"] for x in d["results"]]
assert "frames-cpu: apply a step" in names and "frames-gap: undo" in names, names[:12]
' "$tmp/out"
  # a session that does not load is an error, not the timings of an empty window
  expect frames-no-model 1 -- "$cli" bench frames "$tmp/missing.onnx"
  check frames-no-model-says grep -q 'did not load' "$tmp/err"
  expect frames-text 0 -- "$cli" bench frames
  check frames-actions python3 -c '
import sys
t = open(sys.argv[1]).read()
for a in ["apply a step", "undo", "redo", "show LIME / SHAP", "compare 10 images", "sweep", "worst"]:
    assert "  " + a + " " in t, a
' "$tmp/out"
fi

expect bad-kind 2 -- "$cli" bench sideways
expect bad-repeats 2 -- "$cli" bench forward --repeats 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
