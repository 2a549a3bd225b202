#!/usr/bin/env bash
# Runs ONNX Runtime live (tools/ort/ort-run.js, onnxruntime-node) and `prunelens-cli infer`
# on the same inputs and compares every output within 1e-4 (absolute) on:
#   (a) the default model data/models/fashion-cnn.onnx,
#   (b) the PyTorch models in tests/models and the operator cases in tests/models/ops
#       (and ONNX Runtime against their stored ort-output_0.pb),
#   (c) models PruneLens saved: re-saved, magnitude 80 % unstructured, and structured
#       channel pruning (physically removed), made by the prune-models helper.
# Needs node and tools/ort/node_modules (tools/install-deps installs them): FAILS, not
# skips, when they are missing.
# Usage: test-ort-live.sh PRUNELENS_CLI PRUNE_MODELS SOURCE_DIR
set -u
cli=$1
prune_models=$2
src=$3
ort="$src/tools/ort"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v node >/dev/null 2>&1; then
  echo "FAIL: node (Node.js) is not installed: run tools/install-deps"
  exit 1
fi
if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
  echo "FAIL: ONNX Runtime is not installed in $ort/node_modules: run tools/install-deps"
  echo "      (or: npm ci --ignore-scripts --prefix tools/ort)"
  exit 1
fi

passed=0
failed=0
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# The PyTorch models' stored input [3, 1, 28, 28] fits every model here.
input="$src/tests/models/lenet5/input_0.pb"

# Pass 1: prunelens-cli infer on every model, and an ort-run.js job list (one node
# process for all ONNX Runtime runs, one for all comparisons: node starts slowly).
: >"$tmp/jobs"
pairs=()
add_model() {  # add_model NAME MODEL INPUT
  local name=$1 model=$2 in=$3
  if ! "$cli" infer "$model" "$in" -o "$tmp/pl/$name" >"$tmp/log" 2>&1; then
    fail "$name: prunelens-cli infer failed"; sed 's/^/  /' "$tmp/log" | head -5; return
  fi
  printf '%s\t%s\t%s\n' "$model" "$in" "$tmp/ort/$name" >>"$tmp/jobs"
  # Every model here has one output.
  pairs+=("$tmp/pl/$name/output_0.pb" "$tmp/ort/$name/output_0.pb")
}

# (a) the default model
add_model fashion-cnn "$src/data/models/fashion-cnn.onnx" "$input"

# (b) the PyTorch models (live, and the live ORT output against the stored reference)
stored=()
for d in "$src"/tests/models/*/; do
  [ -f "$d/model.onnx" ] || continue   # ops/ holds the operator cases
  name=$(basename "$d")
  add_model "$name" "$d/model.onnx" "$d/input_0.pb"
  stored+=("$tmp/ort/$name/output_0.pb" "$d/ort-output_0.pb")
done

# (b') the operator cases of tests/models/ops (tools/make-op-models.py)
for d in "$src"/tests/models/ops/*/; do
  name=ops-$(basename "$d")
  add_model "$name" "$d/model.onnx" "$d/input_0.pb"
  stored+=("$tmp/ort/$name/output_0.pb" "$d/ort-output_0.pb")
done

# (c) models PruneLens saved after pruning
mkdir -p "$tmp/pruned"
if ! "$prune_models" "$tmp/pruned" "$src/data/models/fashion-cnn.onnx" \
       "$src/tests/models/lenet5/model.onnx" "$src/tests/models/resnet-small/model.onnx" \
       >"$tmp/log" 2>&1; then
  fail "prune-models failed"; sed 's/^/  /' "$tmp/log"
fi
for m in "$tmp"/pruned/*.onnx; do
  [ -f "$m" ] || continue
  add_model "$(basename "$m" .onnx)" "$m" "$input"
done
[ -f "$tmp/pruned/fashion-cnn-unstructured80.onnx" ] || fail "no unstructured pruned model"
[ -f "$tmp/pruned/fashion-cnn-channels50.onnx" ] || fail "no structured pruned model"

# Pass 2: ONNX Runtime on every model.
if ! node "$ort/ort-run.js" --jobs "$tmp/jobs" --threads 1 >"$tmp/log" 2>&1; then
  fail "ort-run.js failed"; sed 's/^/  /' "$tmp/log" | head -10
fi

# Pass 3: compare, PruneLens vs ONNX Runtime within 1e-4 (absolute), and live ONNX
# Runtime vs the stored reference within 1e-5.
node "$ort/compare-tensors.js" --atol 1e-4 "${pairs[@]}" >"$tmp/cmp" 2>&1
node "$ort/compare-tensors.js" --atol 1e-5 "${stored[@]}" >>"$tmp/cmp" 2>&1
sed "s|$tmp/||g" "$tmp/cmp"
passed=$((passed + $(grep -c '^ok ' "$tmp/cmp")))
n_fail=$(grep -vc '^ok ' "$tmp/cmp")
[ "$n_fail" -eq 0 ] || fail "$n_fail comparison(s) above"
want=$(( (${#pairs[@]} + ${#stored[@]}) / 2 ))
[ "$(grep -c '^ok ' "$tmp/cmp")" -eq "$want" ] || fail "expected $want comparisons to pass"
[ "$want" -ge 90 ] || fail "expected at least 90 comparisons, got $want"

echo "test-ort-live: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
