#!/usr/bin/env bash
# End-to-end tests of prunelens-cli on the default model: exit codes (0 success,
# 1 failure, 2 usage), error messages naming the file, outputs written.
# Usage: test-cli.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
model="$src/data/models/fashion-cnn.onnx"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

expect() {  # expect NAME EXIT_CODE -- COMMAND...
  local name=$1 want=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $got, expected $want"
    sed 's/^/  stdout: /' "$tmp/out" | head -5
    sed 's/^/  stderr: /' "$tmp/err" | head -5
  fi
}
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $name"; fi
}

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

expect prune 0 -- "$cli" --quiet prune "$model" --sparsity 90% -n 500 -o "$tmp/pruned.onnx"
check prune-wrote test -s "$tmp/pruned.onnx"
expect info-pruned 0 -- "$cli" info "$tmp/pruned.onnx"
check pruned-sparsity grep -q 'weight sparsity 90.00 %' "$tmp/out"

expect eval-pruned 0 -- "$cli" --quiet eval "$tmp/pruned.onnx" -n 500
check eval-line grep -q '^accuracy 0\.[0-9]* (.* / 500)' "$tmp/out"

expect explain-png 0 -- "$cli" --quiet explain "$model" --sparsity 50% --index 2 --figure features -o "$tmp/f.png"
check explain-png-magic bash -c "head -c 8 '$tmp/f.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
expect explain-svg 0 -- "$cli" --quiet explain "$model" --figure shap --budget 300 -o "$tmp/s.svg"
check explain-svg-text grep -q '<svg' "$tmp/s.svg"
expect explain-bad-format 1 -- "$cli" --quiet explain "$model" -o "$tmp/f.txt"
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
