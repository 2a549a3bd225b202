#!/usr/bin/env bash
# prunelens-cli report and the dataset options of every command:
# - report on data/recipes/fashion-demo.json twice: every file byte-identical;
# - report --example is a valid recipe; bad recipes exit 1 naming the file and JSON path;
# - bad arguments exit 2;
# - info / eval / explain / infer / compare / report on the default model and on a CSV
#   dataset (iris, with a table MLP trained by make-table-model).
# Usage: test-cli-report.sh PRUNELENS_CLI SOURCE_DIR MAKE_TABLE_MODEL
set -u
cli=$1
src=$2
make_table_model=$3
model="$src/data/models/fashion-cnn.onnx"
iris="$src/data/datasets/iris.csv"
. "$(dirname "$0")/cli-test-lib.sh"

# ---- report: byte-identical twice ----
recipe="$src/data/recipes/fashion-demo.json"
expect report-1 0 -- "$cli" --quiet report "$recipe" -o "$tmp/r1"
expect report-2 0 -- "$cli" report "$recipe" -o "$tmp/r2" --json
check report-json-stdout grep -q '"comparisons"' "$tmp/out"
for f in report.pdf metrics.csv metrics.json; do
  check "report-wrote-$f" test -s "$tmp/r1/$f"
done
n_png=$(ls "$tmp/r1"/*.png 2>/dev/null | wc -l)
check report-7-figures test "$n_png" -eq 7
same=1
for f in "$tmp/r1"/*; do
  cmp -s "$f" "$tmp/r2/$(basename "$f")" || { same=0; echo "  differs: $(basename "$f")"; }
done
check report-byte-identical test "$same" -eq 1
check report-pdf-magic grep -q '^%PDF-1.5' "$tmp/r1/report.pdf"
check report-pdf-date grep -aq 'CreationDate (20260101000000' "$tmp/r1/report.pdf"
check report-csv-header grep -q '^scope,step,input,method,metric,value$' "$tmp/r1/metrics.csv"
check report-csv-accuracy grep -q '^step,1,,,accuracy,0\.' "$tmp/r1/metrics.csv"
check report-json-seed grep -q '"seed"' "$tmp/r1/metrics.json"
if command -v pdfinfo >/dev/null; then
  pdfinfo "$tmp/r1/report.pdf" > "$tmp/info"
  check report-pages grep -q '^Pages: *6$' "$tmp/info"
fi
# The example recipe (default model and dataset) runs from any folder.
expect example 0 -- "$cli" report --example
mkdir -p "$tmp/recipes"
cp "$tmp/out" "$tmp/recipes/example.json"
sed -i 's/"n_eval": 200/"n_eval": 50/; s/"sparsities": \[0, 0.5, 0.9\]/"sparsities": [0, 0.9]/' \
  "$tmp/recipes/example.json"
expect example-runs 0 -- "$cli" --quiet report "$tmp/recipes/example.json" -o "$tmp/ex"
check example-pdf test -s "$tmp/ex/report.pdf"

# ---- report: errors ----
expect report-no-recipe 2 -- "$cli" report -o "$tmp/x"
expect report-no-output 2 -- "$cli" report "$recipe"
expect report-two-recipes 2 -- "$cli" report "$recipe" "$recipe" -o "$tmp/x"
expect report-bad-option 2 -- "$cli" report --frobnicate "$recipe" -o "$tmp/x"
expect report-missing 1 -- "$cli" report "$tmp/missing.json" -o "$tmp/x"
check report-missing-names-file grep -q 'missing.json' "$tmp/err"
cat > "$tmp/bad.json" <<EOF
{ "format": "prunelens-recipe", "version": 1,
  "steps": [ { "sparsity": 0.5 }, { "sparsity": 0.7 }, { "sparsity": 1.5 } ] }
EOF
expect report-bad-recipe 1 -- "$cli" report "$tmp/bad.json" -o "$tmp/x"
check report-bad-names-path grep -q "bad.json: steps\[2\].sparsity: expected a number in \[0, 1\]" "$tmp/err"
echo '{ "format": "prunelens-recipe", "version": 1, "figures": [ { "kind": "pie" } ] }' > "$tmp/pie.json"
expect report-bad-figure 1 -- "$cli" report "$tmp/pie.json" -o "$tmp/x"
check report-bad-figure-path grep -q 'pie.json: figures\[0\].kind' "$tmp/err"
echo 'not json' > "$tmp/text.json"
expect report-not-json 1 -- "$cli" report "$tmp/text.json" -o "$tmp/x"
check report-not-json-names-file grep -q 'text.json' "$tmp/err"
# A model that changed since the recipe was written: a clear error.
cp "$model" "$tmp/models-copy.onnx"
printf '{ "format": "prunelens-recipe", "version": 1, "model": { "path": "models-copy.onnx", "sha256": "%s" } }\n' \
  "0000000000000000000000000000000000000000000000000000000000000000" > "$tmp/hash.json"
expect report-hash 1 -- "$cli" report "$tmp/hash.json" -o "$tmp/x"
check report-hash-message grep -q 'changed since the recipe was saved' "$tmp/err"
# Unknown keys: a warning, not an error.
cat > "$tmp/warn.json" <<EOF
{ "format": "prunelens-recipe", "version": 1, "n_eval": 20, "colour": "blue",
  "model": { "path": "$model" } }
EOF
expect report-unknown-key 0 -- "$cli" --quiet report "$tmp/warn.json" -o "$tmp/w"
check report-unknown-key-warns grep -q 'warn.json: colour: unknown key' "$tmp/err"
check report-no-figures-pdf test -s "$tmp/w/report.pdf"

# ---- every command on the default model ----
expect info 0 -- "$cli" info "$model"
expect eval 0 -- "$cli" --quiet eval "$model" -n 100
check eval-line grep -q '^accuracy 0\.[0-9]* (.* / 100)' "$tmp/out"
expect explain 0 -- "$cli" --quiet explain "$model" --index 1 --sparsity 50% -o "$tmp/e.png"
check explain-png test -s "$tmp/e.png"
expect explain-raw 0 -- "$cli" --quiet explain "$model" --index 1 --method saliency -o "$tmp/e.pb"
expect infer 0 -- "$cli" --quiet infer "$model" "$tmp/e.pb" -o "$tmp/inf"
check infer-output test -s "$tmp/inf/output_0.pb"
expect compare 0 -- "$cli" --quiet compare "$model" --sparsity 0.5 -n 4 --bootstrap 50 \
  --randomisation-inputs 0 -o "$tmp/cmp"
check compare-wrote test -s "$tmp/cmp/summary.csv"

# ---- every command on a CSV dataset (iris) ----
expect table-model 0 -- "$make_table_model" "$iris" "$tmp/iris.onnx" species
expect csv-info 0 -- "$cli" info "$tmp/iris.onnx"
check csv-info-input grep -q 'input \[?, 4\]' "$tmp/out"
expect csv-eval 0 -- "$cli" --quiet eval "$tmp/iris.onnx" --data "$iris" --label species
check csv-eval-line grep -q '^accuracy 0\.9[0-9]* (.* / 150) on iris.csv' "$tmp/out"
expect csv-eval-index 0 -- "$cli" --quiet eval "$tmp/iris.onnx" --data "$iris" --label 4 --json
check csv-eval-json grep -q '"n" *: *150' "$tmp/out"
expect csv-eval-bad-label 1 -- "$cli" eval "$tmp/iris.onnx" --data "$iris" --label nope
check csv-bad-label-message grep -q "iris.csv: no label column named 'nope'" "$tmp/err"
expect csv-eval-wrong-model 1 -- "$cli" eval "$model" --data "$iris"
check csv-wrong-model-names grep -q 'fashion-cnn.onnx' "$tmp/err"
expect csv-explain 0 -- "$cli" --quiet explain "$tmp/iris.onnx" --data "$iris" --index 60 \
  --method gradient-x-input -o "$tmp/row.pb"
expect csv-explain-tensor 0 -- "$cli" tensor "$tmp/row.pb"
check csv-explain-shape grep -q 'shape \[1, 4\]' "$tmp/out"
expect csv-explain-figure 0 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" -o "$tmp/f.png"
check csv-explain-figure-written test -s "$tmp/f.png"
# infer on a row: the explanation tensor has the row's shape [1, 4]
expect csv-infer 0 -- "$cli" --quiet infer "$tmp/iris.onnx" "$tmp/row.pb" -o "$tmp/csvinf"
check csv-infer-output test -s "$tmp/csvinf/output_0.pb"
expect csv-compare 0 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 0.5 -o "$tmp/cc"
check csv-compare-wrote test -s "$tmp/cc/per-input.csv"
# report on the CSV dataset: steps, confusion and histogram figures
sum=$(sha256sum "$tmp/iris.onnx" | cut -d' ' -f1)
cat > "$tmp/iris.json" <<EOF
{ "format": "prunelens-recipe", "version": 1, "title": "Iris MLP",
  "model": { "path": "iris.onnx", "sha256": "$sum" },
  "dataset": { "path": "$iris", "kind": "csv", "label_column": "species" },
  "n_eval": -1,
  "steps": [ { "sparsity": 0.5 }, { "criterion": "random", "sparsity": 0.9, "seed": 3 } ],
  "figures": [ "confusion", { "kind": "histogram", "step": 0 } ],
  "settings": { "dpi": 72 } }
EOF
expect csv-report 0 -- "$cli" --quiet report "$tmp/iris.json" -o "$tmp/ir1"
expect csv-report-2 0 -- "$cli" --quiet report "$tmp/iris.json" -o "$tmp/ir2"
same=1
for f in "$tmp/ir1"/*; do cmp -s "$f" "$tmp/ir2/$(basename "$f")" || same=0; done
check csv-report-identical test "$same" -eq 1
check csv-report-steps grep -q '^step,2,,,accuracy,' "$tmp/ir1/metrics.csv"
echo '{ "format": "prunelens-recipe", "version": 1, "model": { "path": "iris.onnx" },
  "dataset": { "path": "'"$iris"'" }, "figures": [ "saliency" ] }' > "$tmp/iris-bad.json"
# a table's saliency figure is drawn as feature bars (test-cli-fixes4.sh checks the rest)
expect csv-report-saliency 0 -- "$cli" report "$tmp/iris-bad.json" -o "$tmp/ib"
check csv-report-saliency-bars test -s "$tmp/ib/figure-01-saliency-step0-input0.png"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
