#!/usr/bin/env bash
# End-to-end tests of prunelens-cli on the default model: exit codes (0 success,
# 1 failure, 2 usage), error messages naming the file, outputs written.
# Usage: test-cli.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
model="$src/data/models/fashion-cnn.onnx"
. "$(dirname "$0")/cli-test-lib.sh"

expect version 0 -- "$cli" --version
check version-text grep -q '^prunelens-cli [0-9]' "$tmp/out"
expect help 0 -- "$cli" --help
check help-examples grep -q 'Examples' "$tmp/out"
expect no-command 2 -- "$cli"
expect unknown-command 2 -- "$cli" frobnicate
expect unknown-option 2 -- "$cli" prune --frobnicate "$model"
expect prune-no-sparsity 2 -- "$cli" prune "$model"
expect prune-bad-sparsity 2 -- "$cli" prune "$model" --sparsity 150%
expect explain-no-output 2 -- "$cli" explain
expect explain-bad-figure 2 -- "$cli" explain --figure pie -o "$tmp/x.png"

expect info-missing 1 -- "$cli" info "$tmp/missing.onnx"
check info-missing-names-file grep -q "missing.onnx" "$tmp/err"
head -c 1000 "$model" > "$tmp/truncated.onnx"
expect info-truncated 1 -- "$cli" info "$tmp/truncated.onnx"
check info-truncated-names-file grep -q "truncated.onnx" "$tmp/err"

expect info 0 -- "$cli" info "$model"
check info-lists-conv grep -q 'Conv' "$tmp/out"

expect prune 0 -- "$cli" --quiet prune "$model" --sparsity 90% --protect none -n 500 -o "$tmp/pruned.onnx"
check prune-wrote test -s "$tmp/pruned.onnx"
expect info-pruned 0 -- "$cli" info "$tmp/pruned.onnx"
check pruned-sparsity grep -q 'weight sparsity 90.00 %' "$tmp/out"

expect eval-pruned 0 -- "$cli" --quiet eval "$tmp/pruned.onnx" -n 500
check eval-line grep -q '^accuracy 0\.[0-9]* (.* / 500)' "$tmp/out"

expect explain-png 0 -- "$cli" --quiet explain "$model" --sparsity 50% --index 2 --figure features -o "$tmp/f.png"
check explain-png-magic bash -c "head -c 8 '$tmp/f.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
expect explain-svg 0 -- "$cli" --quiet explain "$model" --figure shap --budget 300 -o "$tmp/s.svg"
check explain-svg-text grep -q '<svg' "$tmp/s.svg"
expect explain-bad-format 2 -- "$cli" --quiet explain "$model" -o "$tmp/f.txt"
check explain-bad-format-says grep -q 'f.txt' "$tmp/err"
expect explain-bad-index 2 -- "$cli" --quiet explain "$model" --index 10000 -o "$tmp/g.png"
check no-partial-file test ! -e "$tmp/g.png"

expect info-folder 1 -- "$cli" info "$tmp"
check info-folder-says grep -q 'folder' "$tmp/err"
expect train-lr-inf 2 -- "$cli" train --lr inf -o "$tmp/t.onnx"
expect train-missing-folder 2 -- "$cli" train -o "$tmp/nowhere/t.onnx"
expect explain-dpi-nan 2 -- "$cli" explain --dpi nan -o "$tmp/d.png"
expect explain-quiet-after 0 -- "$cli" explain -q --sparsity 100% --budget 100 -o "$tmp/full.png"
check sparsity-100-undefined bash -c "strings '$tmp/full.png' | grep -q 'undefined'"
expect eval-bad-split 2 -- "$cli" eval "$model" --split validation

# ---- helpers for the newer commands ----
py=$(command -v python3 || true)
json_ok() {  # json_ok FILE [PYTHON-EXPRESSION on d that must be true]
  [ -n "$py" ] || return 0
  "$py" -c 'import json, sys, math
d = json.load(open(sys.argv[1]))
expr = sys.argv[2] if len(sys.argv) > 2 else "True"
sys.exit(0 if eval(expr) else 1)' "$@"
}
# Largest |difference| printed by "tensor A --compare B".
max_diff() { "$cli" tensor "$1" --compare "$2" | sed -n 's/^max |difference| \([^ ]*\) .*/\1/p'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

# ---- tensor ----
conv="/usr/include/onnx/backend/test/data/node/test_conv_with_strides_padding"
if [ -d "$conv" ]; then
  expect tensor 0 -- "$cli" tensor "$conv/test_data_set_0/output_0.pb"
  check tensor-shape grep -q 'shape \[1, 1, 4, 3\], 12 values' "$tmp/out"
  expect tensor-json 0 -- "$cli" tensor "$conv/test_data_set_0/output_0.pb" --json
  check tensor-json-parses json_ok "$tmp/out" 'd["shape"] == [1, 1, 4, 3] and d["numel"] == 12'
  expect tensor-shape-mismatch 1 -- "$cli" tensor "$conv/test_data_set_0/output_0.pb" --compare "$conv/test_data_set_0/input_1.pb"
  check tensor-shape-mismatch-says grep -q 'input_1.pb' "$tmp/err"
fi
expect tensor-missing 1 -- "$cli" tensor "$tmp/nothing.pb"
check tensor-missing-names-file grep -q 'nothing.pb' "$tmp/err"
expect tensor-not-a-tensor 1 -- "$cli" tensor "$model"
check tensor-not-a-tensor-names-file grep -q 'fashion-cnn.onnx' "$tmp/err"

# ---- infer ----
if [ -d "$conv" ]; then
  expect infer-conv 0 -- "$cli" infer "$conv/model.onnx" "$conv/test_data_set_0/input_0.pb" "$conv/test_data_set_0/input_1.pb" -o "$tmp/conv-out"
  check infer-conv-wrote test -s "$tmp/conv-out/output_0.pb"
  d=$(max_diff "$tmp/conv-out/output_0.pb" "$conv/test_data_set_0/output_0.pb")
  check infer-conv-matches-onnx le "$d" 1e-5
  expect infer-conv-one-input-missing 2 -- "$cli" infer "$conv/model.onnx" "$conv/test_data_set_0/input_0.pb" -o "$tmp/conv-out2"
  check infer-conv-says-inputs grep -q '2 data input' "$tmp/err"
fi
# More of ONNX's node tests: every output within 1e-5 of the expected one.
node="/usr/include/onnx/backend/test/data/node"
for t in test_relu test_gemm_all_attributes test_maxpool_2d_pads test_matmul_4d test_batchnorm_example test_softmax_axis_1; do
  [ -d "$node/$t" ] || continue
  expect "infer-$t" 0 -- "$cli" infer "$node/$t/model.onnx" "$node/$t"/test_data_set_0/input_*.pb -o "$tmp/$t"
  for want in "$node/$t"/test_data_set_0/output_*.pb; do
    d=$(max_diff "$tmp/$t/$(basename "$want")" "$want")
    check "infer-$t-$(basename "$want")" le "$d" 1e-5
  done
done
if [ -d "$node/test_cos" ]; then
  expect infer-unsupported 1 -- "$cli" infer "$node/test_cos/model.onnx" "$node/test_cos/test_data_set_0/input_0.pb" -o "$tmp/cos"
  check infer-unsupported-says grep -q 'test_cos/model.onnx.*Cos' "$tmp/err"
  check infer-unsupported-no-dir test ! -e "$tmp/cos"
fi
expect infer-no-output 2 -- "$cli" infer "$model" "$tmp/x.pb"
expect infer-no-input 2 -- "$cli" infer "$model" -o "$tmp/io"
expect infer-missing-input 1 -- "$cli" infer "$model" "$tmp/absent.pb" -o "$tmp/io"
check infer-missing-input-names-file grep -q 'absent.pb' "$tmp/err"

# Test image 0 as a [1, 1, 28, 28] FLOAT TensorProto, written by hand (dims, data_type, raw_data).
img0=""
if [ -n "$py" ] && [ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  img0="$tmp/image0.pb"
  "$py" - "$img0" <<'PY'
import gzip, struct, sys
raw = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()
pixels = raw[16:16 + 784]
data = struct.pack('<784f', *[p / 255.0 for p in pixels])
def varint(v):
    out = b''
    while True:
        b = v & 0x7f; v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v: return out
msg = b''.join(b'\x08' + varint(d) for d in (1, 1, 28, 28)) + b'\x10\x01'
msg += b'\x4a' + varint(len(data)) + data
open(sys.argv[1], 'wb').write(msg)
PY
  expect infer-default 0 -- "$cli" infer "$model" "$img0" -o "$tmp/logits"
  expect infer-default-tensor 0 -- "$cli" tensor "$tmp/logits/output_0.pb" --json
  check infer-default-shape json_ok "$tmp/out" 'd["shape"] == [1, 10]'
  cp "$tmp/out" "$tmp/logits.json"
fi

# ---- explain, raw mode ----
for m in saliency gradient-x-input smoothgrad integrated-gradients occlusion grad-cam lime kernel-shap; do
  expect "explain-raw-$m" 0 -- "$cli" --quiet explain "$model" --index 0 --method $m --samples 0 -o "$tmp/$m.pb"
  check "explain-raw-$m-params" grep -q "^parameters .*target=" "$tmp/out"
  check "explain-raw-$m-wrote" test -s "$tmp/$m.pb"
done
expect explain-raw-saliency-shape 0 -- "$cli" tensor "$tmp/saliency.pb"
check explain-raw-saliency-784 grep -q 'shape \[1, 1, 28, 28\]' "$tmp/out"
expect explain-raw-kshap-shape 0 -- "$cli" tensor "$tmp/kernel-shap.pb"
# one value per segment: SLIC superpixels by default (as the workbench), 16 patches without VLFeat
check explain-raw-kshap-segments grep -q 'shape \[[0-9][0-9]*\]' "$tmp/out"
# Integrated Gradients: completeness residual reported and small; KernelSHAP: efficiency
# (Σφ = f(x) − f(∅)) holds; LIME: weighted R² in [0, 1].
expect explain-raw-ig-json 0 -- "$cli" --quiet explain "$model" --index 0 --method integrated-gradients --steps 64 --json -o "$tmp/ig.pb"
check explain-raw-ig-residual json_ok "$tmp/out" 'abs(d["residual"]) < 0.05 * abs(d["fx"] - d["f_baseline"]) and "steps=64" in d["parameters"]'
check explain-raw-ig-sum json_ok "$tmp/out" 'abs(d["sum"] - (d["fx"] - d["f_baseline"]) - d["residual"]) < 1e-3'
expect explain-raw-kshap-json 0 -- "$cli" --quiet explain "$model" --index 5 --method kernel-shap --grid 2 --json -o "$tmp/ks.pb"
check explain-raw-kshap-efficiency json_ok "$tmp/out" 'abs(d["sum"] - (d["fx"] - d["f_baseline"])) < 1e-3 and d["shape"] == [4]'
expect explain-raw-lime-json 0 -- "$cli" --quiet explain "$model" --index 1 --method lime --samples 300 --segmentation grid --json -o "$tmp/lime.pb"
check explain-raw-lime-r2 json_ok "$tmp/out" '0 <= d["r2"] <= 1 and d["shape"] == [16] and "samples=300" in d["parameters"]'
expect explain-raw-target 0 -- "$cli" --quiet explain "$model" --index 0 --method saliency --target 3 --json -o "$tmp/t3.pb"
check explain-raw-target-3 json_ok "$tmp/out" 'd["target"] == 3 and d["class"] == "Dress"'
expect explain-raw-pb-suffix 0 -- "$cli" --quiet explain "$model" -o "$tmp/default.pb"
check explain-raw-pb-suffix-saliency grep -q '^method saliency' "$tmp/out"
expect explain-raw-occlusion-window 0 -- "$cli" --quiet explain "$model" --method occlusion --window 7 --stride 7 --baseline 0.5 -o "$tmp/occ.pb"
check explain-raw-occlusion-window-params grep -q 'window=7x7 stride=7x7 baseline=0.5' "$tmp/out"
if [ -n "$img0" ]; then
  expect explain-raw-input-pb 0 -- "$cli" --quiet explain "$model" "$img0" --method saliency -o "$tmp/sal-pb.pb"
  d=$(max_diff "$tmp/sal-pb.pb" "$tmp/saliency.pb")
  check explain-raw-input-pb-same-as-index le "$d" 0
  # The logit infer wrote is f(x) that explain reports for the predicted class.
  expect explain-raw-fx 0 -- "$cli" --quiet explain "$model" "$img0" --json -o "$tmp/sal-pb2.pb"
  cp "$tmp/out" "$tmp/explain.json"
  check infer-logit-matches-explain json_ok "$tmp/logits.json" "abs(d['max'] - json.load(open('$tmp/explain.json'))['fx']) < 1e-4"
  expect explain-raw-both-inputs 2 -- "$cli" explain "$model" "$img0" --index 3 --method saliency -o "$tmp/both.pb"
fi
expect explain-raw-bad-method 2 -- "$cli" explain "$model" --method magic -o "$tmp/m.pb"
expect explain-raw-bad-baseline 2 -- "$cli" explain "$model" --method integrated-gradients --baseline purple -o "$tmp/m.pb"
expect explain-raw-bad-window 2 -- "$cli" explain "$model" --method occlusion --window 0x3 -o "$tmp/m.pb"
expect explain-raw-bad-steps 2 -- "$cli" explain "$model" --method integrated-gradients --steps 0 -o "$tmp/m.pb"
expect explain-raw-bad-index 2 -- "$cli" explain "$model" --method saliency --index 10000 -o "$tmp/m.pb"
expect explain-raw-bad-target 1 -- "$cli" --quiet explain "$model" --method saliency --target 10 -o "$tmp/m.pb"
check explain-raw-bad-target-says grep -q 'target 10' "$tmp/err"
check explain-raw-no-partial test ! -e "$tmp/m.pb"
expect explain-raw-bad-layer 1 -- "$cli" --quiet explain "$model" --method grad-cam --layer nowhere -o "$tmp/m.pb"
check explain-raw-bad-layer-says grep -q 'nowhere' "$tmp/err"
expect explain-raw-missing-input 1 -- "$cli" explain "$model" "$tmp/none.pb" --method saliency -o "$tmp/m.pb"
check explain-raw-missing-input-says grep -q 'none.pb' "$tmp/err"

# ---- compare ----
expect compare-20 0 -- "$cli" compare "$model" --sparsity 90% -n 20 --seed 3 -o "$tmp/cmp1"
check compare-text-ci grep -q '^spearman_abs .*\[' "$tmp/out"
check compare-text-tests grep -q 'deletion AUC.*paired t p = .*Wilcoxon p = ' "$tmp/out"
check compare-text-most-changed grep -q '^changed most' "$tmp/out"
for f in per-input.csv summary.csv report.json; do check "compare-wrote-$f" test -s "$tmp/cmp1/$f"; done
check compare-csv-rows bash -c "[ \$(grep -vc '^#' '$tmp/cmp1/per-input.csv') -eq 21 ]"
check compare-json-parses json_ok "$tmp/cmp1/report.json" 'len(d["inputs"]) == 20'
expect compare-20-again 0 -- "$cli" --quiet compare "$model" --sparsity 0.9 -n 20 --seed 3 --json -o "$tmp/cmp2"
check compare-stdout-json json_ok "$tmp/out" 'len(d["inputs"]) == 20'
for f in per-input.csv summary.csv report.json; do check "compare-identical-$f" cmp -s "$tmp/cmp1/$f" "$tmp/cmp2/$f"; done
# Ctrl-C: the run stops with exit 1 and leaves no partial file.
expect compare-interrupted 1 -- timeout --preserve-status -s INT 1 "$cli" --quiet compare "$model" --sparsity 50% -n 5000 -o "$tmp/cmp-int"
check compare-interrupted-no-file test ! -e "$tmp/cmp-int/report.json"
check compare-interrupted-says grep -qi 'cancel' "$tmp/err"
expect compare-no-sparsity 2 -- "$cli" compare "$model" -o "$tmp/cmp3"
expect compare-no-output 2 -- "$cli" compare "$model" --sparsity 50%
expect compare-bad-n 2 -- "$cli" compare "$model" --sparsity 50% -n 0 -o "$tmp/cmp3"
expect compare-missing-model 1 -- "$cli" compare "$tmp/gone.onnx" --sparsity 50% -o "$tmp/cmp3"
check compare-missing-model-says grep -q 'gone.onnx' "$tmp/err"

# ---- bench (not timed: only the lines are checked) ----
expect bench-forward 0 -- "$cli" bench forward --repeats 1
check bench-threads grep -q 'threads' "$tmp/out"
check bench-batch-1 grep -q '^forward batch 1: [0-9]* images/s' "$tmp/out"
check bench-batch-64 grep -q '^forward batch 64: [0-9]* images/s' "$tmp/out"
expect bench-bad-kind 2 -- "$cli" bench backward
expect bench-bad-repeats 2 -- "$cli" bench forward --repeats 0
expect bench-missing-model 1 -- "$cli" bench forward "$tmp/gone.onnx"

# ---- --json on info, eval, prune ----
expect info-json 0 -- "$cli" info "$model" --json
check info-json-parses json_ok "$tmp/out" 'd["n_nodes"] > 0 and any(n["op_type"] == "Conv" for n in d["nodes"])'
expect eval-json 0 -- "$cli" --quiet eval "$model" -n 200 --json
check eval-json-parses json_ok "$tmp/out" 'd["n"] == 200 and 0 <= d["accuracy"] <= 1 and d["correct"] == round(d["accuracy"] * 200)'
expect prune-json 0 -- "$cli" --quiet prune "$model" --sparsity 80% --protect none -n 200 --json
check prune-json-parses json_ok "$tmp/out" 'abs(d["achieved_sparsity"] - 0.8) < 1e-3 and d["output"] is None'

# ---- the man page ----
man="$src/doc/prunelens-cli.1"
check man-exists test -s "$man"
if command -v groff >/dev/null; then
  check man-renders-clean bash -c "groff -man -Tutf8 -ww -z '$man' 2>&1 | grep -q . && exit 1; exit 0"
  for c in info eval train prune explain infer compare bench tensor; do
    check "man-documents-$c" grep -q "^\\.SS.*$c" "$man"
  done
fi

expect sweep 0 -- "$cli" -q sweep "$model" --sparsities 0,90% -n 200 --inputs 3 --index 4 -o "$tmp/sweep"
check sweep-files bash -c "test -s '$tmp/sweep/sweep.csv' && test -s '$tmp/sweep/sweep.json' && test -s '$tmp/sweep/sweep.png' && test -s '$tmp/sweep/filmstrip.png'"
check sweep-json python3 -c "import json,sys; d=json.load(open('$tmp/sweep/sweep.json')); sys.exit(0 if len(d['points']) == 2 else 1)"
expect sweep-bad-list 2 -- "$cli" sweep --sparsities 0,abc -o "$tmp/sweep2"
expect sweep-no-output 2 -- "$cli" sweep

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
