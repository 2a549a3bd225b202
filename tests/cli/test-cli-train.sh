#!/usr/bin/env bash
# prunelens-cli train on CSV tables (classification and regression), its options and
# errors, and bench train on a few minibatches. Exit codes: 0 success, 1 failure, 2 usage.
# Usage: test-cli-train.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

# two well separated classes named by text, 60 rows; features on different scales
{
  echo "size,weight,kind"
  for i in $(seq 0 59); do
    if [ $((i % 2)) -eq 0 ]; then echo "$((i % 7)).5,$((1000 + i * 3)),small"
    else echo "$((20 + i % 7)).5,$((5000 + i * 3)),large"; fi
  done
} >"$tmp/t.csv"
# y = 2 u - v / 100 exactly, 80 rows
{
  echo "u,v,y"
  for i in $(seq 0 79); do
    u=$((i % 9)); v=$(((i * 37) % 100))
    echo "$u,$v,$(awk -v u=$u -v v=$v 'BEGIN { printf "%.4f", 2 * u - v / 100 }')"
  done
} >"$tmp/r.csv"

expect table-train 0 -- "$cli" train --data "$tmp/t.csv" --label kind --epochs 30 \
  --batch-size 8 --lr 0.01 --validation 0.25 --patience 5 --lr-schedule cosine \
  -o "$tmp/t.onnx"
check table-model-written test -s "$tmp/t.onnx"
check table-epoch-lines grep -q 'val accuracy' "$tmp/err"
expect table-json 0 -- "$cli" train --data "$tmp/t.csv" --label kind --epochs 4 \
  --validation 0.25 --lr-schedule step --step-size 2 --gamma 0.5 --json -o "$tmp/t2.onnx"
check json-epochs grep -q '"epochs"' "$tmp/out"
check json-n-validation grep -q '"n_validation" : 15' "$tmp/out"
check json-step-lr grep -q '"learning_rate" : 0.000500*1*,' "$tmp/out"
expect table-eval 0 -- "$cli" eval "$tmp/t.onnx" --data "$tmp/t.csv" --label kind
expect regression 0 -- "$cli" train --data "$tmp/r.csv" --regression --epochs 60 \
  --batch-size 8 --lr 0.01 --validation 0.2 -o "$tmp/r.onnx"
check regression-r2 grep -q 'R²' "$tmp/out"
expect regression-json 0 -- "$cli" train --data "$tmp/r.csv" --regression --epochs 2 --json \
  -o "$tmp/r2.onnx"
check regression-rmse grep -q '"rmse"' "$tmp/out"

# fine-tuning a model with zeros kept
expect finetune 0 -- "$cli" train --data "$tmp/t.csv" --label kind --epochs 1 \
  --init "$tmp/t.onnx" --keep-zeros -o "$tmp/t3.onnx"

# usage errors
expect no-output 2 -- "$cli" train --data "$tmp/t.csv"
expect bad-schedule 2 -- "$cli" train --data "$tmp/t.csv" --lr-schedule wavy -o "$tmp/x.onnx"
expect bad-validation 2 -- "$cli" train --data "$tmp/t.csv" --validation 1 -o "$tmp/x.onnx"
expect bad-patience 2 -- "$cli" train --data "$tmp/t.csv" --patience -1 -o "$tmp/x.onnx"
expect table-cnn 2 -- "$cli" train --data "$tmp/t.csv" --arch cnn -o "$tmp/x.onnx"
expect keep-zeros-alone 2 -- "$cli" train --data "$tmp/t.csv" --keep-zeros -o "$tmp/x.onnx"
# failures name the file
expect missing-data 1 -- "$cli" train --data "$tmp/nope.csv" -o "$tmp/x.onnx"
check missing-data-named grep -q 'nope.csv' "$tmp/err"
expect regression-text-label 1 -- "$cli" train --data "$tmp/t.csv" --label kind \
  --regression -o "$tmp/x.onnx"

# bench train: two minibatches, extrapolated
if [ -d /usr/share/datasets/fashion-mnist ]; then
  expect bench-train 0 -- "$cli" bench train --batches 2
  check bench-seconds grep -q 'seconds per epoch (extrapolated)' "$tmp/out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
