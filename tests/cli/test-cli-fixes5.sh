#!/usr/bin/env bash
# Fixes of prunelens-cli from break-testing (session 4), each checked against a known
# answer:
# 1. a model with NaN / infinite weights is refused by explain, compare, prune and sweep,
#    naming the model file and the initializer; attributions that overflow to inf / NaN
#    are written with a loud warning;
# 2. global channel pruning normalises scores per layer: conv2 loses channels too (it kept
#    all 32 while fc1 lost 65 of 128 at 50 %), and a layer is never emptied (a note says
#    when one is down to one channel);
# 3. sweep protects the first Conv and the last Gemm by default, as prune; --protect none;
# 4. compare takes --criterion and --granularity (names, values, defaults of prune);
# 5. messages: an unsupported operator is blamed on the model (node, op_type), prune errors
#    name the model, R² of a constant target is "undefined", a 1e76 loss is printed with
#    %g, an output that cannot be written is refused before the work.
# Usage: test-cli-fixes5.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

model="$src/data/models/fashion-cnn.onnx"
export PL_NUM_THREADS=1
py=/usr/bin/python3
json_ok() {  # json_ok FILE PYTHON-EXPRESSION on d that must be true
  "$py" -c 'import json, sys, math
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"
}
have_onnx=0
"$py" -c 'import onnx, numpy' 2>/dev/null && have_onnx=1

# ---- 1. non-finite weights ----
if [ "$have_onnx" -eq 1 ]; then
  "$py" - "$model" "$tmp" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
m = onnx.load(sys.argv[1])
for t in m.graph.initializer:
    if t.name == "fc1.weight":
        a = nh.to_array(t).copy(); a[3, 5] = np.nan
        t.CopyFrom(nh.from_array(a, t.name))
onnx.save(m, sys.argv[2] + "/nan.onnx")
m = onnx.load(sys.argv[1])
for t in m.graph.initializer:
    if t.name == "conv2.bias":
        a = nh.to_array(t).copy(); a[0] = np.inf
        t.CopyFrom(nh.from_array(a, t.name))
onnx.save(m, sys.argv[2] + "/inf.onnx")
# finite weights whose product overflows: d y / d x = W2 W1 = 1e60 -> inf in float
W1 = nh.from_array((np.eye(4) * 1e30).astype(np.float32), "W1")
W2 = nh.from_array((np.ones((3, 4)) * 1e30).astype(np.float32), "W2")
nodes = [h.make_node("Gemm", ["x", "W1"], ["a"], name="fc1", transB=1),
         h.make_node("Gemm", ["a", "W2"], ["y"], name="fc2", transB=1)]
g = h.make_graph(nodes, "ovf", [h.make_tensor_value_info("x", T.FLOAT, ["N", 4])],
                 [h.make_tensor_value_info("y", T.FLOAT, ["N", 3])], [W1, W2])
mm = h.make_model(g, opset_imports=[h.make_opsetid("", 13)]); mm.ir_version = 7
onnx.save(mm, sys.argv[2] + "/overflow.onnx")
onnx.save_tensor(nh.from_array(np.ones((1, 4), np.float32), "x"), sys.argv[2] + "/x4.pb")
# an operator the engine does not run
W = nh.from_array(np.ones((3, 4), np.float32), "W")
nodes = [h.make_node("Gemm", ["x", "W"], ["g"], name="fc", transB=1),
         h.make_node("Einsum", ["g"], ["y"], name="weird_sum", equation="ij->ij")]
g = h.make_graph(nodes, "u", [h.make_tensor_value_info("x", T.FLOAT, [1, 4])],
                 [h.make_tensor_value_info("y", T.FLOAT, [1, 3])], [W])
mm = h.make_model(g, opset_imports=[h.make_opsetid("", 13)]); mm.ir_version = 7
onnx.save(mm, sys.argv[2] + "/unsupported.onnx")
EOF
  nan="$tmp/nan.onnx"
  says_nan() { grep -q "$1: the initializer “$2” holds a non-finite value" "$tmp/err"; }
  expect nan-explain 1 -- "$cli" explain "$nan" --sparsity 50% -o "$tmp/e.png"
  check nan-explain-says says_nan "$nan" fc1.weight
  check nan-explain-no-file test ! -e "$tmp/e.png"
  expect nan-explain-raw 1 -- "$cli" explain "$nan" --method saliency -o "$tmp/e.pb"
  check nan-explain-raw-says says_nan "$nan" fc1.weight
  check nan-explain-raw-no-file test ! -e "$tmp/e.pb"
  expect nan-compare 1 -- "$cli" compare "$nan" --sparsity 50% -n 2 -o "$tmp/c"
  check nan-compare-says says_nan "$nan" fc1.weight
  expect nan-prune 1 -- "$cli" prune "$nan" --sparsity 50% -n 10 --latency-runs 0
  check nan-prune-says says_nan "$nan" fc1.weight
  expect nan-sweep 1 -- "$cli" sweep "$nan" --sparsities 0.5 -n 10 --inputs 1 -o "$tmp/s"
  check nan-sweep-says says_nan "$nan" fc1.weight
  expect inf-prune 1 -- "$cli" prune "$tmp/inf.onnx" --sparsity 50% -n 10 --latency-runs 0
  check inf-prune-says grep -q "“conv2.bias” holds a non-finite value (+inf at element 0)" "$tmp/err"
  # finite weights, overflowing attributions: written, with a warning naming the file
  expect overflow-explain 0 -- "$cli" explain "$tmp/overflow.onnx" "$tmp/x4.pb" --method saliency -o "$tmp/o.pb"
  check overflow-warns grep -q "WARNING: $tmp/o.pb: 4 of 4 values are NaN or infinite" "$tmp/err"

  # ---- 5a. an unsupported operator is the model's fault ----
  expect unsupported 1 -- "$cli" explain "$tmp/unsupported.onnx" "$tmp/x4.pb" --method saliency -o "$tmp/u.pb"
  check unsupported-names-model grep -q "^prunelens-cli: $tmp/unsupported.onnx: node 'weird_sum': operator Einsum" "$tmp/err"
  check unsupported-not-input test -z "$(grep "x4.pb" "$tmp/err")"
fi

# ---- 2. global channel pruning, normalised per layer ----
expect channels-50 0 -- "$cli" prune "$model" --sparsity 50% --granularity channels --protect none -n 20 --latency-runs 0
kept() { sed -n "s/.*$1 \([0-9]*\) → \([0-9]*\).*/\2/p" "$tmp/out"; }
c2=$(kept conv2); f1=$(kept fc1)
check channels-50-conv2-pruned test "${c2:-32}" -lt 32 -a "${c2:-0}" -ge 1
check channels-50-fc1-pruned test "${f1:-128}" -lt 128 -a "${f1:-0}" -ge 1
expect channels-100 0 -- "$cli" prune "$model" --sparsity 100% --granularity channels --protect none -n 20 --latency-runs 0
check channels-100-kept grep -q "channels kept: conv1 16 → 1, conv2 32 → 1, fc1 128 → 1, fc2 10 → 10" "$tmp/out"
check channels-100-note grep -q "note: fc1 keeps only 1 of its 128 channels" "$tmp/out"

# ---- 3. sweep protects as prune ----
# 90 % of conv2 + fc1 (4608 + 200704 weights): round (184780.8) = 184781 pruned of 206736
expect sweep-default 0 -- "$cli" sweep "$model" --sparsities 90% -n 20 --inputs 1 -o "$tmp/sw"
check sweep-default-says grep -q "^pruning: magnitude, unstructured, global; protected: conv1, fc2" "$tmp/out"
check sweep-default-csv grep -q "protected: conv1, fc2" "$tmp/sw/sweep.csv"
check sweep-default-count json_ok "$tmp/sw/sweep.json" 'd["points"][0]["nonzero_weights"] == 206736 - 184781 and d["parameters"]["protected"] == ["conv1", "fc2"]'
expect sweep-none 0 -- "$cli" sweep "$model" --sparsities 90% -n 20 --inputs 1 --protect none -o "$tmp/sw2"
check sweep-none-count json_ok "$tmp/sw2/sweep.json" 'd["points"][0]["nonzero_weights"] == 206736 - 186062 and d["parameters"]["protected"] == []'

# ---- 4. compare --criterion / --granularity ----
expect compare-l1-channels 0 -- "$cli" compare "$model" --sparsity 50% --criterion l1 --granularity channels -n 3 --bootstrap 20 --randomisation-inputs 0 -o "$tmp/c1"
check compare-l1-channels-json json_ok "$tmp/c1/report.json" 'd["pruning"]["criterion"] == "l1" and d["pruning"]["granularity"] == "channels"'
check compare-l1-channels-text grep -q "^pruning: l1, channels, global" "$tmp/out"
expect compare-nm 0 -- "$cli" compare "$model" --granularity 2:4 -n 3 --bootstrap 20 --randomisation-inputs 0 -o "$tmp/c2"
check compare-nm-json json_ok "$tmp/c2/report.json" 'd["pruning"]["granularity"] == "2:4" and abs(d["pruning"]["achieved_sparsity"] - 0.5) < 0.01'
expect compare-default 0 -- "$cli" compare "$model" --sparsity 50% -n 3 --bootstrap 20 --randomisation-inputs 0 -o "$tmp/c3"
check compare-default-json json_ok "$tmp/c3/report.json" 'd["pruning"]["criterion"] == "magnitude" and d["pruning"]["granularity"] == "unstructured"'
expect compare-bad-criterion 2 -- "$cli" compare "$model" --sparsity 50% --criterion size -o "$tmp/c4"
check compare-bad-criterion-says grep -q "criterion must be magnitude, random, taylor, l1 or l2, not “size”" "$tmp/err"
expect compare-bad-granularity 2 -- "$cli" compare "$model" --sparsity 50% --granularity 5:4 -o "$tmp/c4"

# ---- 5. messages ----
expect prune-error-names-model 1 -- "$cli" prune "$model" --sparsity 50% --override nosuch=0.5 -n 10 --latency-runs 0
check prune-error-names-model-says grep -q "^prunelens-cli: $model: .*“nosuch”" "$tmp/err"
# a constant target: R² undefined, not "nan"; a 1e76 loss printed with %g
{ echo "a,b,y"; for i in $(seq 1 30); do echo "$i,$((i % 7)),5"; done; } > "$tmp/const.csv"
{ echo "a,b,y"; for i in $(seq 1 30); do echo "$((i % 5)),$((i % 3)),1e38"; done; } > "$tmp/huge.csv"
expect train-const 0 -- "$cli" train --data "$tmp/const.csv" --regression --epochs 1 -o "$tmp/const.onnx"
check train-const-r2 grep -q "R² undefined (constant target)" "$tmp/out"
expect eval-const 0 -- "$cli" eval "$tmp/const.onnx" --data "$tmp/const.csv"
check eval-const-r2 grep -q "R² undefined (constant target)" "$tmp/out"
check eval-const-no-nan test -z "$(grep -i "nan" "$tmp/out")"
expect prune-const 0 -- "$cli" prune "$tmp/const.onnx" --data "$tmp/const.csv" --sparsity 50% --latency-runs 0
check prune-const-r2 grep -q "R².*undefined (constant target)" "$tmp/out"
expect train-huge 0 -- "$cli" train --data "$tmp/huge.csv" --regression --epochs 1 -o "$tmp/huge.onnx"
check train-huge-g grep -q "loss 1e+76" "$tmp/err"
check train-huge-no-f test -z "$(grep -E "loss [0-9]{12,}" "$tmp/err")"
# an output that cannot be written: refused at once, before any work
echo "a file" > "$tmp/afile"
expect ro-prune 1 -- "$cli" prune "$model" --sparsity 50% -n 10 --latency-runs 0 -o "$tmp/afile/p.onnx"
check ro-prune-says grep -q "Cannot write to “$tmp/afile/p.onnx”" "$tmp/err"
check ro-prune-before test ! -s "$tmp/out"
expect ro-sweep 1 -- "$cli" sweep "$model" --sparsities 0.5 -n 10 --inputs 1 -o "$tmp/afile/s"
check ro-sweep-says grep -q "$tmp/afile/s" "$tmp/err"
expect ro-compare 1 -- "$cli" compare "$model" --sparsity 0.5 -n 2 -o "$tmp/afile"
check ro-compare-says grep -q "Cannot write to “$tmp/afile”: it is a file, not a folder" "$tmp/err"
expect ro-explain 1 -- "$cli" explain "$model" --sparsity 0.5 -o "$tmp/afile/e.png"
expect ro-train 2 -- "$cli" train --data "$tmp/const.csv" --regression --epochs 1 -o "$tmp/afile/t.onnx"
if [ -d /proc/self ]; then
  # /proc refuses new files even for root
  expect ro-proc 1 -- "$cli" sweep "$model" --sparsities 0.5 -n 10 --inputs 1 -o /proc/prunelens-test
  check ro-proc-says grep -q "/proc/prunelens-test" "$tmp/err"
  expect ro-proc-train 1 -- "$cli" train --data "$tmp/const.csv" --regression --epochs 1 -o /proc/prunelens-test.onnx
  check ro-proc-train-says grep -q "Cannot write to “/proc/prunelens-test.onnx”" "$tmp/err"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
