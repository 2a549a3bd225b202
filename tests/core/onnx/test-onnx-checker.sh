#!/usr/bin/env bash
# Runs the onnx package's checker (onnx.checker.check_model, full_check=True: also
# ONNX shape inference) on files PruneLens wrote: the default model re-saved, pruned
# magnitude 80 % unstructured, and pruned by whole channels (physically removed); the
# same for the PyTorch LeNet-5 and residual CNN. Needs Debian's python3-onnx: FAILS, not
# skips, when it is missing.
# Usage: test-onnx-checker.sh PRUNE_MODELS SOURCE_DIR
set -u
prune_models=$1
src=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$py" ] || ! "$py" -c 'import onnx' >/dev/null 2>&1; then
  echo "FAIL: $py cannot import onnx (Debian package python3-onnx): run tools/install-deps"
  exit 1
fi
if ! "$prune_models" "$tmp" "$src/data/models/fashion-cnn.onnx" \
       "$src/tests/models/lenet5/model.onnx" "$src/tests/models/resnet-small/model.onnx"; then
  echo "FAIL: prune-models could not write the models"
  exit 1
fi
"$py" - "$tmp" <<'PY'
import glob, os, sys
import onnx
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
expected = {f"{m}-{k}.onnx" for m in ("fashion-cnn", "lenet5", "resnet-small")
            for k in ("resaved", "unstructured80", "channels50")}
missing = expected - {os.path.basename(f) for f in files}
failed = 0
if missing:
    print("FAIL missing:", ", ".join(sorted(missing)))
    failed += 1
for f in files:
    try:
        m = onnx.load(f)
        onnx.checker.check_model(m, full_check=True)
        print(f"ok   {os.path.basename(f)}: opset {m.opset_import[0].version}, "
              f"{len(m.graph.node)} nodes")
    except Exception as e:  # the checker raises several exception types
        print(f"FAIL {os.path.basename(f)}: {type(e).__name__}: {e}")
        failed += 1
print(f"test-onnx-checker: {len(files) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
