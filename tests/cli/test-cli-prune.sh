#!/usr/bin/env bash
# End-to-end tests of "prunelens-cli prune" on the default model with small --samples:
# every criterion, granularity and schedule; protection and overrides; the metrics printed
# (text and JSON); structured pruning writing a smaller model with the same predictions;
# usage errors. When ONNX Runtime is installed (tools/ort/node_modules), pruned models are
# also run with tools/ort/ort-run.js and compared with "prunelens-cli infer".
# Usage: test-cli-prune.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
model="$src/data/models/fashion-cnn.onnx"
. "$(dirname "$0")/cli-test-lib.sh"

py=$(command -v python3 || true)
json_ok() {  # json_ok FILE PYTHON-EXPRESSION on d that must be true
  [ -n "$py" ] || return 0
  "$py" -c 'import json, sys, math
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

P=("$cli" prune "$model" -n 100 --latency-runs 1)
# Every layer pruned (--protect none): the achieved sparsity equals the target exactly.
PN=("${P[@]}" --protect none)
FT=(--train-samples 200 --batch-size 50)

# ---- global magnitude over every layer (--protect none; the default protects conv1, fc2) ----
expect plain 0 -- "${PN[@]}" --sparsity 90% -o "$tmp/plain.onnx"
check plain-first-line grep -q '^sparsity 0.9000 of 206736 weights, accuracy 0\.[0-9]* on 100 samples' "$tmp/out"
check plain-wrote grep -q "^wrote $tmp/plain.onnx" "$tmp/out"
check plain-metrics bash -c "grep -q '^top-5 accuracy' '$tmp/out' && grep -q '^macro F1' '$tmp/out' && grep -q '^mean KL(original ‖ pruned)' '$tmp/out' && grep -q 'predictions changed' '$tmp/out' && grep -q '^per-layer weight sparsity: conv1' '$tmp/out' && grep -q '^confusion matrix' '$tmp/out'"
# MACs by hand: 16·28·28·9 + 32·14·14·16·9 + 1568·128 + 128·10 = 1218048
check plain-macs grep -q '^MACs per sample, dense  *1218048  *1218048$' "$tmp/out"
check plain-params grep -q '^parameters  *206922  *206922$' "$tmp/out"

# ---- every criterion (JSON) ----
for c in magnitude random taylor l1 l2; do
  expect "criterion-$c" 0 -- "${PN[@]}" --criterion $c --sparsity 70% --calibration 16 --json
  check "criterion-$c-json" json_ok "$tmp/out" \
    'abs(d["achieved_sparsity"] - 0.7) < 1e-3 and d["n"] == 100 and 0 <= d["pruned"]["top1"] <= 1 and d["original"]["macs_dense"] == 1218048 and d["pruned"]["macs_effective"] < 1218048 and len(d["pruned"]["confusion"]) == 10 and sum(map(sum, d["pruned"]["confusion"])) == 100 and d["pruned"]["n_changed"] == len(d["pruned"]["changed"]) and abs(d["pruned"]["agreement"] - (1 - d["pruned"]["n_changed"] / 100)) < 1e-9 and d["pruned"]["mean_kl"] >= 0'
done
# Random depends on the seed; magnitude does not.
expect random-seed2 0 -- "${PN[@]}" --criterion random --sparsity 70% --seed 2 -o "$tmp/r2.onnx"
expect random-seed3 0 -- "${PN[@]}" --criterion random --sparsity 70% --seed 3 -o "$tmp/r3.onnx"
check random-seeds-differ bash -c "! cmp -s '$tmp/r2.onnx' '$tmp/r3.onnx'"
expect random-seed3-again 0 -- "${PN[@]}" --criterion random --sparsity 70% --seed 3 -o "$tmp/r3b.onnx"
check random-seed-reproducible cmp -s "$tmp/r3.onnx" "$tmp/r3b.onnx"

# ---- granularities ----
expect nm 0 -- "${PN[@]}" --granularity 2:4 --json
# conv1 has one input channel (groups of 1 keep their weight): (206736 − 144) / 2 pruned
check nm-sparsity json_ok "$tmp/out" 'abs(d["achieved_sparsity"] - 103296 / 206736) < 1e-9'
expect nm-4-8 0 -- "${PN[@]}" --granularity 1:8 --json
check nm-1-8-sparsity json_ok "$tmp/out" 'd["achieved_sparsity"] > 0.8'
expect channels 0 -- "${P[@]}" --granularity channels --criterion l2 --scope layerwise --protect default --sparsity 50% --latency-runs 3 -o "$tmp/small.onnx"
check channels-structured-line grep -q '^structured: file 810 KB → [0-9]* KB (−[0-9]* %), latency .* ms' "$tmp/out"
expect channels-json 0 -- "${P[@]}" --granularity channels --criterion l2 --scope layerwise --protect default --sparsity 50% --json
check channels-smaller json_ok "$tmp/out" 'd["structured"]["file_size_after"] < 0.5 * d["structured"]["file_size_before"] and d["structured"]["params_after"] < d["structured"]["params_before"] and d["pruned"]["macs_dense"] == 1218048 - (112896 * 0) - 903168 // 2 - 200704 * 3 // 4 - 1280 // 2 and [l["sparsity"] for l in d["pruned"]["layers"]][:2] == [0, 0.5]'
acc_json=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pruned"]["top1"])' "$tmp/out" 2>/dev/null)
expect channels-info 0 -- "$cli" info "$tmp/small.onnx"
check channels-info-smaller bash -c "grep -q ' 53370 parameters' '$tmp/out'"
expect channels-eval 0 -- "$cli" -q eval "$tmp/small.onnx" -n 100 --json
check channels-eval-same-accuracy json_ok "$tmp/out" "abs(d['accuracy'] - ${acc_json:-2}) < 1e-12"

# ---- scope, protection, overrides ----
expect protect-override 0 -- "${P[@]}" --sparsity 50% --scope layerwise --protect conv1,fc2 --override fc1=95% --json
check protect-override-layers json_ok "$tmp/out" '[round(l["sparsity"], 4) for l in d["pruned"]["layers"]] == [0, 0.5, 0.95, 0]'
expect no-protect 0 -- "${P[@]}" --sparsity 50% --scope layerwise --no-protect --json
check no-protect-layers json_ok "$tmp/out" 'all(abs(l["sparsity"] - 0.5) < 1e-2 for l in d["pruned"]["layers"])'

# ---- schedules ----
expect oneshot 0 -- "${PN[@]}" --sparsity 60% --schedule oneshot --json
check oneshot-one-step json_ok "$tmp/out" 'len(d["steps"]) == 1 and "one-shot" in d["schedule"]'
expect iterative 0 -- "${PN[@]}" --sparsity 75% --schedule iterative:2 --finetune-epochs 1 "${FT[@]}" --json
# geometric: 1 − 0.25^(1/2) = 0.5, then 0.75
check iterative-steps json_ok "$tmp/out" 'len(d["steps"]) == 2 and abs(d["steps"][0]["weight_sparsity"] - 0.5) < 1e-4 and abs(d["steps"][1]["weight_sparsity"] - 0.75) < 1e-4 and abs(d["achieved_sparsity"] - 0.75) < 1e-4'
expect iterative-linear-text 0 -- "${PN[@]}" --sparsity 60% --schedule iterative:3 --linear
check iterative-linear-lines bash -c "grep -q 'iterative step 1/3: sparsity 0.2000' '$tmp/out' && grep -q 'iterative step 3/3: sparsity 0.6000' '$tmp/out'"
expect polynomial 0 -- "${PN[@]}" --sparsity 80% --schedule polynomial:2 --initial-sparsity 10% --finetune-epochs 1 "${FT[@]}" --json
# s_t = 0.8 + (0.1 − 0.8)(1 − t/2)^3: 0.1, 0.7125, 0.8
check polynomial-steps json_ok "$tmp/out" 'len(d["steps"]) == 3 and [round(s["target_sparsity"], 6) for s in d["steps"]] == [0.1, 0.7125, 0.8] and all(abs(s["weight_sparsity"] - s["target_sparsity"]) < 1e-4 for s in d["steps"])'
expect rewind 0 -- "${PN[@]}" --sparsity 50% --schedule rewind --finetune-epochs 1 "${FT[@]}" --json
check rewind-steps json_ok "$tmp/out" 'len(d["steps"]) == 2 and "rewind" in d["steps"][1]["description"] and abs(d["achieved_sparsity"] - 0.5) < 1e-4'
expect rewind-to 0 -- "${PN[@]}" --sparsity 50% --schedule rewind:2 --rewind-to "$tmp/r2.onnx" --json
check rewind-to-steps json_ok "$tmp/out" 'len(d["steps"]) == 3 and "checkpoint" in d["schedule"]'
expect channels-iterative 0 -- "${P[@]}" --granularity channels --sparsity 50% --schedule iterative:2 --finetune-epochs 1 "${FT[@]}" -o "$tmp/small2.onnx"
check channels-iterative-structured grep -q '^structured: file' "$tmp/out"
expect nm-polynomial 0 -- "${PN[@]}" --granularity 2:4 --schedule polynomial:1 --finetune-epochs 1 "${FT[@]}"
check nm-polynomial-pattern grep -q 'polynomial step 2/2: 2:4 pattern' "$tmp/out"

# ---- usage errors and failures ----
expect bad-criterion 2 -- "${P[@]}" --sparsity 50% --criterion biggest
check bad-criterion-says grep -q 'biggest' "$tmp/err"
expect bad-granularity 2 -- "${P[@]}" --sparsity 50% --granularity 4:2
expect bad-scope 2 -- "${P[@]}" --sparsity 50% --scope local
expect bad-schedule 2 -- "${P[@]}" --sparsity 50% --schedule iterative:0
expect bad-override 2 -- "${P[@]}" --sparsity 50% --override fc1
expect both-protect 2 -- "${P[@]}" --sparsity 50% --protect conv1 --no-protect
expect rewind-to-needs-rewind 2 -- "${P[@]}" --sparsity 50% --rewind-to "$tmp/r2.onnx"
expect initial-needs-polynomial 2 -- "${P[@]}" --sparsity 50% --initial-sparsity 0.1
expect rewind-to-missing 1 -- "${P[@]}" --sparsity 50% --schedule rewind --rewind-to "$tmp/gone.onnx"
check rewind-to-missing-names-file grep -q 'gone.onnx' "$tmp/err"
expect override-unknown-layer 1 -- "${P[@]}" --sparsity 50% --override nosuchlayer=0.5
check override-unknown-says grep -q 'nosuchlayer' "$tmp/err"
expect channels-refused-override 1 -- "${P[@]}" --granularity channels --sparsity 50% --override fc2=0.5
check channels-refused-says-why grep -q 'graph output' "$tmp/err"

# ---- ONNX Runtime on pruned models ----
ortdir="$src/tools/ort"
if [ -d "$ortdir/node_modules/onnxruntime-node" ] && command -v node >/dev/null \
   && /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  /usr/bin/python3 - "$tmp/input.pb" <<'EOF'
import sys, numpy as np
from onnx import numpy_helper
x = np.random.default_rng(1).random((4, 1, 28, 28), dtype=np.float32)
open(sys.argv[1], "wb").write(numpy_helper.from_array(x, "input").SerializeToString())
EOF
  for m in plain small small2; do
    expect "ort-$m" 0 -- node "$ortdir/ort-run.js" "$tmp/$m.onnx" "$tmp/input.pb" -o "$tmp/ort-$m"
    expect "infer-$m" 0 -- "$cli" -q infer "$tmp/$m.onnx" "$tmp/input.pb" -o "$tmp/pl-$m"
    d=$("$cli" tensor "$tmp/ort-$m/output_0.pb" --compare "$tmp/pl-$m/output_0.pb" | sed -n 's/^max |difference| \([^ ]*\) .*/\1/p')
    check "ort-$m-matches ($d)" le "$d" 1e-4
  done
else
  echo "SKIP ONNX Runtime comparison (no tools/ort/node_modules, node or python3-onnx)"
fi

# A protected layer that does not exist is an error, not silently nothing protected.
expect protect-unknown 1 -- "$cli" prune "$model" -s 0.5 --protect nosuch -n 50
check protect-unknown-named grep -q 'nosuch' "$tmp/err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
