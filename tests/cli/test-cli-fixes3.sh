#!/usr/bin/env bash
# Session 3 fixes of prunelens-cli (issues 5 and 10), each checked against a computed value:
# 1. protection by default (first Conv and last Gemm), --protect none / default, listed;
# 2. one step numbering in recipes (version 2; version 1 read with its old meaning), the
#    report's CSV / JSON / figure names;
# 3. a report re-run into its folder removes the earlier report's stale files, and refuses
#    folders that do not hold a report;
# 4. regression models: eval / prune print RMSE, MAE, R² (checked against numpy on the
#    outputs of `infer`), explain --method uses output 0, other commands refuse clearly;
# 5. numeric class labels: fractions refused (hint --regression), > 20 integers warned;
# 6. numbers beyond the float range named as such (file, line, row, column);
# 7. prune -q prints nothing; --calibration bounded by the training set.
# Usage: test-cli-fixes3.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

model="$src/data/models/fashion-cnn.onnx"
iris="$src/data/datasets/iris.csv"
diabetes="$src/data/datasets/diabetes.csv"
export PL_NUM_THREADS=1
py=/usr/bin/python3
json_ok() {  # json_ok FILE PYTHON-EXPRESSION on d that must be true
  "$py" -c 'import json, sys, math
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"
}

# ---- 1. default protection ----
# The default model's prunable weights: conv1 144, conv2 4608, fc1 200704, fc2 1280.
P=("$cli" prune "$model" -n 50 --latency-runs 0 --sparsity 50%)
expect protect-default-json 0 -- "${P[@]}" --json -o "$tmp/p-default.onnx"
# global magnitude over conv2 + fc1 only: 0.5 · 205312 of 206736 weights zeroed
check protect-default-layers json_ok "$tmp/out" \
  'd["protected"] == ["conv1", "fc2"] and [l["sparsity"] for l in d["pruned"]["layers"]][0] == 0 and d["pruned"]["layers"][3]["sparsity"] == 0 and abs(d["achieved_sparsity"] * 206736 - 0.5 * 205312) <= 1'
expect protect-explicit-default 0 -- "${P[@]}" --protect default -o "$tmp/p-explicit.onnx"
check protect-default-same-model cmp -s "$tmp/p-default.onnx" "$tmp/p-explicit.onnx"
check protect-listed grep -q '^protected layers: conv1, fc2$' "$tmp/out"
expect protect-none 0 -- "${P[@]}" --protect none --json
check protect-none-all json_ok "$tmp/out" \
  'd["protected"] == [] and abs(d["achieved_sparsity"] - 0.5) < 1e-9 and all(l["sparsity"] > 0 for l in d["pruned"]["layers"])'
expect protect-none-text 0 -- "${P[@]}" --no-protect
check protect-none-listed grep -q '^protected layers: none$' "$tmp/out"
# compare prunes with the same default protection
C=("$cli" -q compare "$model" --sparsity 50% -n 2 --bootstrap 10 --randomisation-inputs 0)
expect compare-default 0 -- "${C[@]}" -o "$tmp/cmp-d"
check compare-default-sparsity json_ok "$tmp/cmp-d/report.json" \
  'abs(d["parameters"]["sparsity_pruned"] * 206736 - 0.5 * 205312) <= 1'
expect compare-none 0 -- "${C[@]}" --protect none -o "$tmp/cmp-n"
check compare-none-sparsity json_ok "$tmp/cmp-n/report.json" 'abs(d["parameters"]["sparsity_pruned"] - 0.5) < 1e-9'

# ---- 2. step numbering (iris, a table MLP: fast) ----
expect train-iris 0 -- "$cli" -q train --data "$iris" --epochs 5 --seed 1 -o "$tmp/iris.onnx"
# a protected layer with an override is pruned, and the summary says so
expect protect-override 0 -- "$cli" prune "$tmp/iris.onnx" --data "$iris" --sparsity 0.5 \
  --override fc3=0.9
check protect-override-listed grep -q '^protected layers: fc3 (overridden' "$tmp/out"
recipe() {  # recipe VERSION FIGURE-STEPS... -> stdout
  local v=$1; shift
  local figs="" sep=""
  for s in "$@"; do
    figs="$figs$sep{ \"kind\": \"confusion\", \"step\": $s }"
    sep=", "
  done
  cat <<EOF
{ "format": "prunelens-recipe", "version": $v, "date": "2026-01-01T00:00:00Z",
  "model": { "path": "iris.onnx" }, "dataset": { "path": "$iris" }, "n_eval": 150,
  "steps": [ { "sparsity": 0.5 }, { "sparsity": 0.9, "protected": [] } ],
  "figures": [ $figs, { "kind": "histogram" } ] }
EOF
}
recipe 2 0 1 2 > "$tmp/v2.json"
recipe 1 0 1 > "$tmp/v1.json"
expect report-v2 0 -- "$cli" -q report "$tmp/v2.json" -o "$tmp/r2"
for f in figure-01-confusion-step0.png figure-02-confusion-step1.png \
         figure-03-confusion-step2.png figure-04-histogram-step2.png; do
  check "report-v2-$f" test -s "$tmp/r2/$f"
done
check report-v2-json-steps json_ok "$tmp/r2/metrics.json" \
  '[s["step"] for s in d["steps"]] == [0, 1, 2] and d["steps"][0]["description"] == "original" and abs(d["steps"][2]["target_sparsity"] - 0.9) < 1e-12'
check report-v2-csv-step1 grep -q '^step,1,,,target_sparsity,0.5$' "$tmp/r2/metrics.csv"
check report-v2-csv-step2 grep -q '^step,2,,,target_sparsity,0.9$' "$tmp/r2/metrics.csv"
# a version-1 recipe keeps its meaning: "step": 0 and 1 are the pruning steps 1 and 2
expect report-v1 0 -- "$cli" -q report "$tmp/v1.json" -o "$tmp/r1"
check report-v1-names test -s "$tmp/r1/figure-01-confusion-step1.png" -a \
  -s "$tmp/r1/figure-02-confusion-step2.png" -a -s "$tmp/r1/figure-03-histogram-step2.png"
check report-v1-same-csv cmp -s "$tmp/r1/metrics.csv" "$tmp/r2/metrics.csv"
# ... and gives the same files as the version-2 recipe with steps 1 and 2
recipe 2 1 2 > "$tmp/v2b.json"
expect report-v2b 0 -- "$cli" -q report "$tmp/v2b.json" -o "$tmp/r2b"
same=1
for f in "$tmp/r1"/*.png "$tmp/r1/metrics.csv"; do
  cmp -s "$f" "$tmp/r2b/$(basename "$f")" || { same=0; echo "  differs: $(basename "$f")"; }
done
check report-v1-same-as-v2 test "$same" -eq 1
# version 2 refuses a step beyond the last
recipe 2 3 > "$tmp/v2-bad.json"
expect report-v2-bad-step 1 -- "$cli" report "$tmp/v2-bad.json" -o "$tmp/rb"
check report-v2-bad-step-says grep -q 'figures\[0\].step' "$tmp/err"
# the example recipe is version 2
expect example 0 -- "$cli" report --example
check example-v2 json_ok "$tmp/out" 'd["version"] == 2'

# ---- 3. a report re-run into its folder ----
echo "mine" > "$tmp/r2/notes.txt"
recipe 2 1 > "$tmp/one.json"
expect report-rerun 0 -- "$cli" -q report "$tmp/one.json" -o "$tmp/r2"
check rerun-new-files test -s "$tmp/r2/figure-01-confusion-step1.png" -a \
  -s "$tmp/r2/figure-02-histogram-step2.png"
check rerun-stale-removed test "$(ls "$tmp/r2" | grep -c '^figure-')" -eq 2
check rerun-other-file-kept grep -q mine "$tmp/r2/notes.txt"
check rerun-no-staging test "$(ls -A "$tmp/r2" | grep -c '^\.report-')" -eq 0
# report-named files without an earlier report: refused, nothing touched
mkdir -p "$tmp/foreign"
echo "keep" > "$tmp/foreign/figure-07-mine.png"
echo "{}" > "$tmp/foreign/metrics.json"
expect report-foreign 1 -- "$cli" report "$tmp/one.json" -o "$tmp/foreign"
check report-foreign-says grep -q 'no earlier PruneLens report' "$tmp/err"
check report-foreign-untouched grep -q keep "$tmp/foreign/figure-07-mine.png"
check report-foreign-nothing-added test "$(ls -A "$tmp/foreign" | wc -l)" -eq 2
# a folder with unrelated files only is fine (nothing removed)
mkdir -p "$tmp/other" && echo x > "$tmp/other/data.txt"
expect report-other 0 -- "$cli" -q report "$tmp/one.json" -o "$tmp/other"
check report-other-kept test -s "$tmp/other/data.txt" -a -s "$tmp/other/report.pdf"
# a file as the output folder
expect report-file-output 1 -- "$cli" report "$tmp/one.json" -o "$tmp/other/data.txt"
# a folder in the way of one of the report's files: refused before anything is replaced
cp "$tmp/r2/metrics.json" "$tmp/r2-metrics-before.json"
mkdir -p "$tmp/r2/figure-01-confusion-step1.png.tmp" && rm -f "$tmp/r2/figure-01-confusion-step1.png"
mv "$tmp/r2/figure-01-confusion-step1.png.tmp" "$tmp/r2/figure-01-confusion-step1.png"
touch "$tmp/r2/figure-01-confusion-step1.png/x"
expect report-clash 1 -- "$cli" report "$tmp/one.json" -o "$tmp/r2"
check report-clash-says grep -q 'not a regular file; nothing was replaced' "$tmp/err"
check report-clash-metrics-untouched cmp -s "$tmp/r2/metrics.json" "$tmp/r2-metrics-before.json"
check report-clash-no-staging test "$(ls -A "$tmp/r2" | grep -c '^\.report-')" -eq 0

# ---- 4. regression ----
expect train-reg 0 -- "$cli" -q train --data "$diabetes" --regression --epochs 3 --seed 1 \
  -o "$tmp/dia.onnx" --json
cp "$tmp/out" "$tmp/train.json"
expect eval-reg 0 -- "$cli" -q eval "$tmp/dia.onnx" --data "$diabetes" --json
cp "$tmp/out" "$tmp/eval.json"
# train's fit (no validation: all rows) and eval agree
check eval-reg-matches-train "$py" -c 'import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if b["task"] == "regression" and b["n"] == 442 and all(abs(a[k] - b[k]) <= 1e-6 * max(1, abs(a[k])) for k in ("rmse", "mae", "r2")) else 1)' \
  "$tmp/train.json" "$tmp/eval.json"
# RMSE / MAE / R² recomputed with numpy from the model's outputs (prunelens-cli infer)
if "$py" -c 'import onnx, numpy' 2>/dev/null; then
  "$py" - "$diabetes" "$tmp/x.pb" "$tmp/t.npy" <<'EOF'
import sys, csv, numpy as np
from onnx import numpy_helper
rows = list(csv.reader(open(sys.argv[1])))[1:]
x = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float32)
np.save(sys.argv[3], np.array([float(r[-1]) for r in rows]))
open(sys.argv[2], "wb").write(numpy_helper.from_array(x, "input").SerializeToString())
EOF
  expect infer-reg 0 -- "$cli" -q infer "$tmp/dia.onnx" "$tmp/x.pb" -o "$tmp/y"
  check eval-reg-numpy "$py" -c 'import json, sys, numpy as np
from onnx import TensorProto, numpy_helper
t = TensorProto(); t.ParseFromString(open(sys.argv[1], "rb").read())
p = numpy_helper.to_array(t)[:, 0].astype(np.float64); y = np.load(sys.argv[2])
e = json.load(open(sys.argv[3]))
rmse = np.sqrt(np.mean((p - y) ** 2)); mae = np.mean(np.abs(p - y))
r2 = 1 - np.sum((p - y) ** 2) / np.sum((y - y.mean()) ** 2)
sys.exit(0 if abs(rmse - e["rmse"]) < 1e-4 * rmse and abs(mae - e["mae"]) < 1e-4 * mae and abs(r2 - e["r2"]) < 1e-5 else 1)' \
    "$tmp/y/output_0.pb" "$tmp/t.npy" "$tmp/eval.json"
else
  echo "SKIP numpy check of RMSE / MAE / R² (no python3-onnx)"
fi
expect eval-reg-text 0 -- "$cli" -q eval "$tmp/dia.onnx" --data "$diabetes"
check eval-reg-text-line grep -q '^regression: RMSE [0-9.]*, MAE [0-9.]*, R² -*[0-9.]* on 442 rows of diabetes.csv$' "$tmp/out"
# prune: the original's numbers are eval's; sparsity 0 changes nothing; the last Gemm is protected
expect prune-reg 0 -- "$cli" prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 60% \
  --latency-runs 0 --json -o "$tmp/dia-p.onnx"
cp "$tmp/out" "$tmp/prune.json"
check prune-reg-json "$py" -c 'import json, sys
d = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
o, p = d["original"], d["pruned"]
sys.exit(0 if d["task"] == "regression" and d["protected"] == ["fc3"] and abs(o["rmse"] - e["rmse"]) < 1e-9 * e["rmse"] and p["params_nonzero"] < o["params_nonzero"] and p["rmse"] > 0 else 1)' \
  "$tmp/out" "$tmp/eval.json"
expect eval-pruned-reg 0 -- "$cli" -q eval "$tmp/dia-p.onnx" --data "$diabetes" --json
check prune-reg-saved-matches "$py" -c 'import json, sys
sys.exit(0 if abs(json.load(open(sys.argv[1]))["rmse"] - json.load(open(sys.argv[2]))["pruned"]["rmse"]) < 1e-9 else 1)' \
  "$tmp/out" "$tmp/prune.json"
expect prune-reg-zero 0 -- "$cli" prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 0 \
  --latency-runs 0 --json
check prune-reg-zero-same json_ok "$tmp/out" 'd["original"]["rmse"] == d["pruned"]["rmse"] and d["original"]["r2"] == d["pruned"]["r2"]'
expect prune-reg-text 0 -- "$cli" prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 50% --latency-runs 0
check prune-reg-text-rows bash -c "grep -q '^RMSE ' '$tmp/out' && grep -q '^MAE ' '$tmp/out' && grep -q '^R² ' '$tmp/out' && grep -q '^protected layers: fc3$' '$tmp/out'"
# fine-tuning after pruning minimises the squared error (the model above is under-trained:
# more epochs lower the RMSE)
expect prune-reg-ft0 0 -- "$cli" -q prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 80% --latency-runs 0 --json
cp "$tmp/out" "$tmp/ft0.json"
expect prune-reg-ft 0 -- "$cli" -q prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 80% \
  --schedule iterative:1 --finetune-epochs 10 --latency-runs 0 --json
check prune-reg-ft-lower "$py" -c 'import json, sys
a = json.load(open(sys.argv[1]))["pruned"]["rmse"]; b = json.load(open(sys.argv[2]))["pruned"]["rmse"]
sys.exit(0 if b < a else 1)' "$tmp/ft0.json" "$tmp/out"
expect prune-reg-taylor 2 -- "$cli" prune "$tmp/dia.onnx" --data "$diabetes" --sparsity 50% --criterion taylor
check prune-reg-taylor-says grep -q 'not supported by --criterion taylor' "$tmp/err"
expect compare-reg-refused 1 -- "$cli" compare "$tmp/dia.onnx" --data "$diabetes" --sparsity 50% -o "$tmp/c-reg"
check compare-reg-says grep -q "regression models are not supported by compare; use eval or prune" "$tmp/err"
expect sweep-reg-refused 1 -- "$cli" sweep "$tmp/dia.onnx" --data "$diabetes" -o "$tmp/s-reg"
check sweep-reg-says grep -q "regression models are not supported by sweep; use" "$tmp/err"
printf '{ "format": "prunelens-recipe", "version": 2, "model": { "path": "dia.onnx" }, "dataset": { "path": "%s" } }\n' "$diabetes" > "$tmp/dia.json"
expect report-reg-refused 1 -- "$cli" report "$tmp/dia.json" -o "$tmp/rr"
check report-reg-says grep -q "regression models are not supported by report; use" "$tmp/err"
expect explain-fig-reg-refused 1 -- "$cli" explain "$tmp/dia.onnx" --data "$diabetes" -o "$tmp/e.png"
check explain-fig-reg-says grep -q 'not supported by explain; use explain --method' "$tmp/err"
expect explain-raw-reg 0 -- "$cli" explain "$tmp/dia.onnx" --data "$diabetes" --index 3 --method saliency -o "$tmp/e.pb"
check explain-raw-reg-target grep -q '^target 0$' "$tmp/out"
expect explain-raw-reg-target1 2 -- "$cli" explain "$tmp/dia.onnx" --data "$diabetes" --method saliency --target 1 -o "$tmp/e1.pb"

# ---- 5. numeric labels ----
printf 'x,y\n1,0\n2,1.5\n3,1\n' > "$tmp/frac.csv"
expect frac-label 1 -- "$cli" train --data "$tmp/frac.csv" --epochs 1 -o "$tmp/f.onnx"
check frac-label-says bash -c "grep -q 'frac.csv' '$tmp/err' && grep -q 'line 3: \"1.5\"' '$tmp/err' && grep -q -- '--regression' '$tmp/err'"
"$py" -c 'print("x,y"); [print(f"{i},{i % 25}") for i in range(100)]' > "$tmp/many.csv"
expect many-labels 0 -- "$cli" train --data "$tmp/many.csv" --epochs 1 -o "$tmp/m.onnx"
check many-labels-warned grep -q "warning: .*many.csv: the label column 'y' has more than 20 distinct" "$tmp/err"
expect many-labels-quiet 0 -- "$cli" -q train --data "$tmp/many.csv" --epochs 1 -o "$tmp/m.onnx"
check many-labels-quiet-silent test ! -s "$tmp/err"
expect many-labels-eval 0 -- "$cli" eval "$tmp/m.onnx" --data "$tmp/many.csv"
check many-labels-eval-warned grep -q 'more than 20 distinct' "$tmp/err"

# ---- 6. beyond the float range ----
printf 'a,b,y\n1,2,0\n3,5e38,1\n' > "$tmp/big.csv"
expect float-range 1 -- "$cli" eval "$tmp/iris.onnx" --data "$tmp/big.csv"
check float-range-says grep -q "big.csv: the value \"5e38\" at line 3 (data row 2), column 'b' is out of the float range" "$tmp/err"

# ---- 7. prune -q, --calibration ----
expect prune-quiet 0 -- "$cli" -q prune "$model" -n 20 --latency-runs 0 --sparsity 50% -o "$tmp/q.onnx"
check prune-quiet-stdout test ! -s "$tmp/out"
check prune-quiet-stderr test ! -s "$tmp/err"
check prune-quiet-wrote test -s "$tmp/q.onnx"
expect prune-quiet-json 0 -- "$cli" -q prune "$model" -n 20 --latency-runs 0 --sparsity 50% --json
check prune-quiet-json-printed json_ok "$tmp/out" 'd["n"] == 20'
expect calibration-beyond 2 -- "$cli" prune "$tmp/iris.onnx" --data "$iris" --sparsity 50% \
  --criterion taylor --calibration 151
check calibration-beyond-says grep -q 'more than the 150 samples of iris.csv' "$tmp/err"
expect calibration-all 0 -- "$cli" -q prune "$tmp/iris.onnx" --data "$iris" --sparsity 50% \
  --criterion taylor --calibration 150 --latency-runs 0
expect calibration-huge 2 -- "$cli" prune "$model" --sparsity 50% --criterion taylor --calibration 99999999

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
