#!/usr/bin/env bash
# Fixes of prunelens-cli from a newcomer's run (issues 6 and 10), each checked against a
# known answer:
# 1. raw explain on table rows: kernel-shap gives φ_i = w_i (x_i − r_i) on a linear model
#    (r: the table's feature means, or --baseline), lime ranks features by |w_i σ_i|;
#    both write one value per feature, [1, F];
# 2. compare records the pruning setup (criterion, granularity, scope, protected layers,
#    sparsity, seed) in its text, report.json and summary.csv;
# 3. report on a table dataset: feature bars for saliency / features / shap, the figures
#    without a table equivalent skipped with a warning naming them;
# 4. bench train --repeats, bench --help lists train;
# 5. the manual lists every option each command accepts, and no internal jargon.
# Usage: test-cli-fixes4.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

iris="$src/data/datasets/iris.csv"
man="$src/doc/prunelens-cli.1"
export PL_NUM_THREADS=1
py=/usr/bin/python3
json_ok() {  # json_ok FILE PYTHON-EXPRESSION on d that must be true
  "$py" -c 'import json, sys, math
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"
}

# ---- 1. raw explain on a table row, against a linear model ----
# logits = x W^T + b, W [3, 4]: KernelSHAP with all 14 coalitions enumerated is exact,
# φ_i = W[t, i] (x_i − r_i); LIME's coefficients per standard deviation are W[t, i] σ_i.
have_onnx=0
"$py" -c 'import onnx, numpy' 2>/dev/null && have_onnx=1
if [ "$have_onnx" -eq 1 ]; then
  "$py" - "$tmp/linear.onnx" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
W = np.array([[0.5, -1.0, 0.25, 2.0],
              [-0.75, 1.5, 0.8, -0.3],   # class 1: |W σ| ranks petal_length first
              [1.0, 0.2, -0.6, 0.9]], dtype=np.float32)
b = np.array([0.1, -0.2, 0.3], dtype=np.float32)
g = helper.make_graph(
    [helper.make_node("Gemm", ["x", "W", "b"], ["y"], transB=1, name="fc")], "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, sys.argv[1])
EOF
  # python check: CHECK FILE.pb KIND ROW TARGET [BASELINE]
  shap_ok() {
    "$py" - "$iris" "$@" <<'EOF'
import sys, csv, numpy as np, onnx
from onnx import numpy_helper
iris, pb, kind, row, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
W = np.array([[0.5, -1.0, 0.25, 2.0], [-0.75, 1.5, 0.8, -0.3], [1.0, 0.2, -0.6, 0.9]])
rows = list(csv.reader(open(iris)))[1:]
X = np.array([[float(v) for v in r[:4]] for r in rows])
phi = numpy_helper.to_array(onnx.load_tensor(pb)).astype(np.float64)
if phi.shape != (1, 4):
    print("shape", phi.shape); sys.exit(1)
phi = phi[0]
x = X[row]
if kind == "shap":
    r = X.mean(axis=0) if len(sys.argv) < 7 else np.full(4, float(sys.argv[6]))
    want = W[target] * (x - r)
    ok = np.allclose(phi, want, rtol=1e-4, atol=1e-4)
else:  # lime: coefficients per standard deviation ≈ W σ (ridge α = 1 shrinks a little)
    want = W[target] * X.std(axis=0)
    ok = (list(np.argsort(-np.abs(phi))) == list(np.argsort(-np.abs(want)))
          and np.all(np.sign(phi) == np.sign(want))
          and np.allclose(phi, want, rtol=0.1))
if not ok:
    print("got", phi, "want", want)
sys.exit(0 if ok else 1)
EOF
  }
  E=("$cli" explain "$tmp/linear.onnx" --data "$iris")
  expect shap-table 0 -- "${E[@]}" --method kernel-shap --index 7 --target 1 -o "$tmp/shap.pb"
  check shap-table-text grep -q '^attribution \[1, 4\]' "$tmp/out"
  check shap-table-params grep -q 'reference=feature-means' "$tmp/out"
  check shap-table-exact shap_ok "$tmp/shap.pb" shap 7 1
  expect shap-table-baseline 0 -- "${E[@]}" --method kernel-shap --index 120 --target 2 \
    --baseline 0.5 --json -o "$tmp/shap-b.pb"
  check shap-table-baseline-json json_ok "$tmp/out" \
    'd["shape"] == [1, 4] and d["target"] == 2 and d["class"] == "virginica"'
  check shap-table-baseline-exact shap_ok "$tmp/shap-b.pb" shap 120 2 0.5
  # the same row given as INPUT.pb
  "$py" -c 'import sys, csv, numpy as np, onnx
from onnx import numpy_helper
r = list(csv.reader(open(sys.argv[1])))[1 + 7]
x = np.array([[float(v) for v in r[:4]]], dtype=np.float32)
open(sys.argv[2], "wb").write(numpy_helper.from_array(x, "x").SerializeToString())' \
    "$iris" "$tmp/row7.pb"
  expect shap-table-pb 0 -- "${E[@]}" "$tmp/row7.pb" --method kernel-shap --target 1 \
    -o "$tmp/shap-pb.pb"
  check shap-table-pb-exact shap_ok "$tmp/shap-pb.pb" shap 7 1
  expect shap-table-pb-no-data 1 -- "$cli" explain "$tmp/linear.onnx" "$tmp/row7.pb" \
    --method kernel-shap -o "$tmp/x.pb"
  check shap-table-pb-no-data-msg grep -q -- '--data' "$tmp/err"
  expect lime-table 0 -- "${E[@]}" --method lime --index 7 --target 1 -o "$tmp/lime.pb"
  check lime-table-ranks shap_ok "$tmp/lime.pb" lime 7 1
  check lime-table-r2 grep -q '^r2 ' "$tmp/out"
  expect lime-table-baseline 1 -- "${E[@]}" --method lime --index 7 --baseline 0 -o "$tmp/x.pb"
  check lime-table-baseline-msg grep -q 'does not apply to lime on a table row' "$tmp/err"
  check lime-table-no-file test ! -e "$tmp/x.pb"
else
  echo "SKIP part 1: /usr/bin/python3 has no onnx / numpy"
fi

# ---- 2. compare records the pruning setup ----
expect train-iris 0 -- "$cli" -q train --data "$iris" --epochs 5 --seed 1 -o "$tmp/iris.onnx"
C=("$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 50% -n 6 --bootstrap 10
   --randomisation-inputs 0)
expect compare 0 -- "${C[@]}" -o "$tmp/cmp"
# the table MLP fc1 (4·64) fc2 (64·32) fc3 (32·3); default protection: the last Gemm
check compare-text-setup grep -q '^pruning: magnitude, unstructured, global; sparsity 0.5000 (achieved 0.4800); seed 1$' "$tmp/out"
check compare-text-protected grep -q '^protected layers: fc3$' "$tmp/out"
check compare-json-setup json_ok "$tmp/cmp/report.json" \
  'd["pruning"] == {"criterion": "magnitude", "granularity": "unstructured", "scope": "global", "protected": ["fc3"], "target_sparsity": 0.5, "achieved_sparsity": d["parameters"]["sparsity_pruned"], "seed": 1} and abs(d["pruning"]["achieved_sparsity"] * 2400 - 0.5 * 2304) < 1e-6'
check compare-summary-setup grep -q '^# pruning_protected,"fc3"$' "$tmp/cmp/summary.csv"
check compare-summary-criterion grep -q '^# pruning_criterion,magnitude$' "$tmp/cmp/summary.csv"
expect compare-none 0 -- "${C[@]}" --protect none -q --json -o "$tmp/cmp-n"
check compare-none-json json_ok "$tmp/out" \
  'd["pruning"]["protected"] == [] and d["pruning"]["achieved_sparsity"] == 0.5'
check compare-none-file json_ok "$tmp/cmp-n/report.json" 'd["pruning"]["protected"] == []'
expect compare-twice 0 -- "${C[@]}" -q -o "$tmp/cmp2"
check compare-byte-identical cmp -s "$tmp/cmp/report.json" "$tmp/cmp2/report.json"

# ---- 3. report on a table dataset ----
cat > "$tmp/table.json" <<EOF
{ "format": "prunelens-recipe", "version": 2, "date": "2026-01-01T00:00:00Z",
  "model": { "path": "iris.onnx" }, "dataset": { "path": "$iris" }, "n_eval": 150,
  "steps": [ { "sparsity": 0.5 } ],
  "explanations": [ "saliency", "grad-cam" ], "inputs": [ 3, 60 ],
  "sweep": { "sparsities": [ 0, 0.5 ] },
  "figures": [ "saliency", "features", "shap", { "kind": "saliency", "method": "grad-cam" },
               "sweep", "filmstrip", "confusion", "histogram" ] }
EOF
expect report-table 0 -- "$cli" report "$tmp/table.json" -o "$tmp/rt"
for f in figure-01-saliency-step1-input3.png figure-02-features-step1-input3.png \
         figure-03-shap-step1-input3.png figure-07-confusion-step1.png \
         figure-08-histogram-step1.png report.pdf metrics.csv metrics.json; do
  check "report-table-$f" test -s "$tmp/rt/$f"
done
check report-table-skipped-files test -z "$(ls "$tmp/rt" | grep -E 'figure-0[456]')"
check report-table-warn-gradcam grep -q 'figures\[3\] (saliency) skipped: Grad-CAM' "$tmp/err"
check report-table-warn-sweep grep -q 'figures\[4\] (sweep) skipped' "$tmp/err"
check report-table-warn-filmstrip grep -q 'figures\[5\] (filmstrip) skipped' "$tmp/err"
check report-table-five-pages grep -q 'report.pdf (5 pages)' "$tmp/out"
# the explanations of both inputs are in the metrics (saliency; Grad-CAM does not apply)
check report-table-metrics grep -q '^saliency,1,60,saliency,spearman,' "$tmp/rt/metrics.csv"
check report-table-no-gradcam test -z "$(grep grad-cam "$tmp/rt/metrics.csv")"
# the shap bars' values are those of raw explain (KernelSHAP against the feature means)
expect report-table-quiet 0 -- "$cli" -q report "$tmp/table.json" -o "$tmp/rt2"
# (stderr may hold a sanitizer's summary: look for the warnings only)
check report-table-quiet-silent test -z "$(grep -i warning "$tmp/err")"
check report-table-identical cmp -s "$tmp/rt/metrics.csv" "$tmp/rt2/metrics.csv"
# a sweep-only table recipe: nothing to draw but the report, still exit 0
sed 's/"figures": \[.*/"figures": [ "sweep" ] }/; /"sweep", "filmstrip"/d' "$tmp/table.json" \
  > "$tmp/sweep-only.json"
expect report-table-sweep-only 0 -- "$cli" report "$tmp/sweep-only.json" -o "$tmp/rs"
check report-table-sweep-only-warn grep -q 'figures\[0\] (sweep) skipped' "$tmp/err"

# ---- 4. bench train --repeats; bench --help lists train ----
expect bench-help 0 -- "$cli" bench --help
check bench-help-train grep -q 'all|train' "$tmp/out"
check bench-help-train-text grep -q '^train: one training epoch' "$tmp/out"
expect bench-train-repeats-0 2 -- "$cli" bench train --repeats 0
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  expect bench-train-repeats 0 -- "$cli" -q bench train --repeats 2 --batches 1 --json
  check bench-train-repeats-json json_ok "$tmp/out" \
    'd["repeats"] == 2 and d["batches_timed"] == 1 and 0 < d["seconds_min"] <= d["seconds_timed"] <= d["seconds_max"]'
  expect bench-train-repeats-1 0 -- "$cli" -q bench train --repeats 1 --batches 1
  check bench-train-text grep -q '^1 of 938 minibatches in' "$tmp/out"
fi

# ---- 5. the manual: every accepted option listed in its command's section ----
expect man-options 0 -- "$py" - "$cli" "$man" <<'EOF'
import re, subprocess, sys
cli, man = sys.argv[1], sys.argv[2]
sections, cur = {}, None
for line in open(man).read().splitlines():
    m = re.match(r'\.SS (\S+)', line)
    if m:
        cur = m.group(1); sections[cur] = ''; continue
    if line.startswith('.SH'):
        cur = line[4:].strip().strip('"'); sections[cur] = ''; continue
    if cur:
        sections[cur] += line.replace('\\-', '-') + '\n'
shared = sections.get('GLOBAL OPTIONS', '') + sections.get('DATASETS', '')
commands = ['info', 'eval', 'train', 'prune', 'explain', 'infer', 'compare', 'bench',
            'sweep', 'report', 'tensor']
bad = 0
for c in commands:
    h = subprocess.run([cli, c, '--help-all'], capture_output=True, text=True).stdout
    if c == 'bench':
        h += subprocess.run([cli, c, 'train', '--help-all'], capture_output=True,
                            text=True).stdout
    opts = set(re.findall(r'^\s+(?:-\w, )?(--[a-z0-9-]+)', h, re.M))
    opts -= {'--help', '--help-all', '--help-dataset', '--help-protect'}
    if not opts and c != 'info':
        print(c, 'has no options in --help-all?'); bad += 1
    sec = sections.get(c, '')
    miss = sorted(o for o in opts if not re.search(re.escape(o) + r'(?![a-z0-9-])', sec + shared))
    if miss:
        bad += 1; print(c, 'missing from the manual:', ' '.join(miss))
    own = re.sub(r'\b(' + '|'.join(commands) + r')"? --[a-z0-9-]+', '', sec)
    stale = sorted(set(o for o in re.findall(r'(--[a-z][a-z0-9-]*)', own)
                       if o not in opts and o not in ('--help', '--quiet', '--version')))
    if stale:
        bad += 1; print(c, 'in the manual but not accepted:', ' '.join(stale))
sys.exit(1 if bad else 0)
EOF
check man-no-jargon test -z "$(grep -i -E 'session [0-9]|issue #?[0-9]' "$man")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
