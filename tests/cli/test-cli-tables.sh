#!/usr/bin/env bash
# prunelens-cli compare, sweep and explain (figure mode) on CSV tables (iris, wine) with
# table MLPs trained here. Exit codes: 0 success, 1 failure, 2 usage.
# Usage: test-cli-tables.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
is_pdf() { [ "$(head -c 5 "$1")" = "%PDF-" ]; }
is_svg() { grep -q '<svg' "$1"; }
# summary_value FILE METRIC FIELD: the value of a "summary,METRIC,FIELD,v" row
summary_value() { awk -F, -v m="$2" -v f="$3" '$1 == "summary" && $2 == m && $3 == f { print $4 }' "$1"; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d < 1e-9) }'; }
# column FILE NAME: the values of CSV column NAME (after the "# " lines and the header)
column() {
  grep -v '^#' "$1" | awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }'
}

iris=$src/data/datasets/iris.csv
wine=$src/data/datasets/wine.csv
export PL_NUM_THREADS=1

expect train-iris 0 -- "$cli" train --data "$iris" --arch mlp --epochs 20 --seed 1 \
  -o "$tmp/iris.onnx" --quiet
expect train-wine 0 -- "$cli" train --data "$wine" --arch mlp --epochs 20 --seed 1 \
  -o "$tmp/wine.onnx" --quiet

# ---- compare ----
expect compare-iris 0 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 50% \
  -n 30 --bootstrap 300 --randomisation-inputs 5 -o "$tmp/c1" --quiet
for f in per-input.csv summary.csv report.json; do
  check "compare-iris-$f" test -s "$tmp/c1/$f"
done
check compare-iris-rows test "$(grep -v '^#' "$tmp/c1/per-input.csv" | tail -n +2 | wc -l)" -eq 30
# SSIM does not apply to vectors: empty in every row
check compare-iris-ssim-empty test -z "$(column "$tmp/c1/per-input.csv" ssim | tr -d '\n')"
check compare-iris-spearman-set test "$(column "$tmp/c1/per-input.csv" spearman | grep -c .)" -eq 30
check compare-iris-table-note grep -q '^# table,' "$tmp/c1/per-input.csv"
check compare-iris-bars grep -q '^# bars_grid,1x4' "$tmp/c1/per-input.csv"
check compare-iris-json-null grep -q '"ssim" : null' "$tmp/c1/report.json"
check compare-iris-curves grep -q '"fraction" : \[' "$tmp/c1/report.json"
check compare-iris-randomisation grep -q '^randomisation,' "$tmp/c1/summary.csv"
check compare-iris-per-class grep -q '^class 2,virginica,n,10' "$tmp/c1/summary.csv"
# the same seed gives the same files
expect compare-iris-again 0 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 50% \
  -n 30 --bootstrap 300 --randomisation-inputs 5 -o "$tmp/c2" --quiet
check compare-deterministic cmp -s "$tmp/c1/per-input.csv" "$tmp/c2/per-input.csv"
check compare-deterministic-json cmp -s "$tmp/c1/report.json" "$tmp/c2/report.json"
# sparsity 0: the network against itself, every similarity 1
expect compare-iris-self 0 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 0 \
  -n 15 --bootstrap 100 --randomisation-inputs 0 -o "$tmp/c0" --quiet
for m in spearman spearman_abs kendall pearson cosine bars_spearman; do
  check "self-$m-1" near "$(summary_value "$tmp/c0/summary.csv" $m mean)" 1
done
check self-deletion-equal test "$(summary_value "$tmp/c0/summary.csv" deletion_auc_orig mean)" = \
  "$(summary_value "$tmp/c0/summary.csv" deletion_auc_pruned mean)"
expect compare-iris-json 0 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" --sparsity 90% \
  -n 12 --bootstrap 100 --randomisation-inputs 0 -o "$tmp/c3" --json --quiet
check compare-json-out grep -q '"spearman_abs"' "$tmp/out"
expect compare-wine 0 -- "$cli" compare "$tmp/wine.onnx" --data "$wine" --sparsity 80% \
  -n 20 --bootstrap 200 -o "$tmp/cw" --quiet
check compare-wine-rows test "$(grep -v '^#' "$tmp/cw/per-input.csv" | tail -n +2 | wc -l)" -eq 20
check compare-wine-bars grep -q '^# bars_grid,1x13' "$tmp/cw/per-input.csv"

# ---- sweep ----
expect sweep-iris 0 -- "$cli" sweep "$tmp/iris.onnx" --data "$iris" --sparsities 0,50%,90% \
  --inputs 10 --index 60 -o "$tmp/s"
for f in sweep.csv sweep.json sweep.png filmstrip.png; do
  check "sweep-$f" test -s "$tmp/s/$f"
done
check sweep-png is_png "$tmp/s/sweep.png"
check sweep-rows test "$(grep -v '^#' "$tmp/s/sweep.csv" | tail -n +2 | wc -l)" -eq 3
check sweep-table-method grep -q 'signed gradient' "$tmp/s/sweep.csv"
check sweep-rows-said grep -q 'rows of iris.csv' "$tmp/out"
# sparsity 0 compares the network with itself
check sweep-self-1 near "$(column "$tmp/s/sweep.csv" spearman_abs_mean | head -1)" 1
expect sweep-wine 0 -- "$cli" sweep "$tmp/wine.onnx" --data "$wine" --sparsities 0.5,0.9 \
  --inputs 5 -o "$tmp/sw" --quiet
check sweep-wine-json test -s "$tmp/sw/sweep.json"

# ---- explain, figure mode ----
for fig in saliency features shap; do
  expect "explain-$fig" 0 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --sparsity 50% \
    --index 60 --figure $fig -o "$tmp/$fig.png"
  check "explain-$fig-png" is_png "$tmp/$fig.png"
done
check explain-shap-said grep -q 'KernelSHAP' "$tmp/out"
check explain-shap-reference grep -q 'feature means' "$tmp/out"
expect explain-svg 0 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 3 \
  -o "$tmp/x.svg" --quiet
check explain-svg-file is_svg "$tmp/x.svg"
expect explain-pdf 0 -- "$cli" explain "$tmp/wine.onnx" --data "$wine" --sparsity 90% \
  --index 100 --figure shap -o "$tmp/x.pdf" --quiet
check explain-pdf-file is_pdf "$tmp/x.pdf"
# raw mode on a row still works
expect explain-raw 0 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 3 \
  --method saliency --signed -o "$tmp/x.pb" --quiet

# ---- errors ----
expect explain-index-outside 2 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 150 \
  -o "$tmp/y.png"
expect explain-bad-ext 2 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" -o "$tmp/y.gif"
check explain-bad-ext-none test ! -e "$tmp/y.gif"
expect compare-no-sparsity 2 -- "$cli" compare "$tmp/iris.onnx" --data "$iris" -o "$tmp/z"
expect compare-wrong-table 1 -- "$cli" compare "$tmp/iris.onnx" --data "$wine" --sparsity 0.5 \
  -o "$tmp/z"
check compare-wrong-table-named grep -q 'iris.onnx' "$tmp/err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
