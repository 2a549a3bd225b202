#!/usr/bin/env bash
# Fixes of prunelens-cli from a tester's session (session 4, cli3), each checked against a
# known answer:
# 1. eval, infer and train --init refuse a model with a NaN weight, naming the model and the
#    initializer (as prune, explain, compare, sweep and report do);
# 2. explain --figure lime | shap | lime-shap and --method lime | kernel-shap on images too
#    small for SLIC superpixels (2 × 2) use the workbench's min(4, H) × min(4, W) patch grid
#    and say so; an explicit --segmentation slic is refused naming the dataset, its image
#    size and --grid N;
# 3. errors echoing a 20 000-character option value stay short (< 1000 bytes).
# Usage: test-cli-fixes7.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

export PL_NUM_THREADS=1
export LANGUAGE=C LC_ALL=C.UTF-8
py=/usr/bin/python3
model="$src/data/models/fashion-cnn.onnx"
long=$(head -c 20000 /dev/zero | tr '\0' 'w')

# ---- 1. a NaN weight is refused by eval, infer and train --init ----
"$py" - "$model" "$tmp" <<'PYEOF'
import sys, onnx, numpy as np
from onnx import numpy_helper as nh
m = onnx.load(sys.argv[1])
for i, t in enumerate(m.graph.initializer):
    if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) > 1:
        a = nh.to_array(t).copy()
        a.flat[3] = np.nan
        m.graph.initializer[i].CopyFrom(nh.from_array(a, t.name))
        open(sys.argv[2] + "/nan-name", "w").write(t.name)
        break
onnx.save(m, sys.argv[2] + "/nan.onnx")
# one input image [1, 1, 28, 28] for infer
x = np.zeros((1, 1, 28, 28), np.float32)
open(sys.argv[2] + "/x.pb", "wb").write(nh.from_array(x, "x").SerializeToString())
PYEOF
init=$(cat "$tmp/nan-name")
nan="$tmp/nan.onnx"
expect nan-eval 1 -- "$cli" eval "$nan" -n 10
check nan-eval-names grep -qF "nan.onnx" "$tmp/err"
check nan-eval-init grep -qF "$init" "$tmp/err"
check nan-eval-no-accuracy bash -c "! grep -qi accuracy '$tmp/out'"
expect nan-infer 1 -- "$cli" infer "$nan" "$tmp/x.pb" --output "$tmp/inf"
check nan-infer-names grep -qF "nan.onnx" "$tmp/err"
check nan-infer-init grep -qF "$init" "$tmp/err"
check nan-infer-no-output test ! -e "$tmp/inf/output_0.pb"
expect nan-train-init 1 -- "$cli" train --init "$nan" --epochs 1 -o "$tmp/t.onnx"
check nan-train-init-names grep -qF "nan.onnx" "$tmp/err"
check nan-train-init-init grep -qF "$init" "$tmp/err"
check nan-train-init-no-model test ! -e "$tmp/t.onnx"
# the finite original still works (the check does not refuse good models)
expect finite-eval 0 -- "$cli" eval "$model" -n 10

# ---- 2. images too small for SLIC: the workbench's patch grid, said in a note ----
"$py" - "$tmp" <<'PYEOF'
import os, struct, sys, zlib
root = sys.argv[1]
def png(path, pixels):  # 2 x 2 grey, 8 bit
    raw = b"".join(b"\0" + bytes(r) for r in pixels)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for k, cls in enumerate(["dark", "light"]):
    os.makedirs(f"{root}/tiny/{cls}", exist_ok=True)
    for i in range(6):
        v = (40 + 10 * i) if k == 0 else (200 - 10 * i)
        png(f"{root}/tiny/{cls}/{i}.png", [[v, 255 - v], [v, v]])
PYEOF
expect tiny-train 0 -- "$cli" train -a mlp --data "$tmp/tiny" --epochs 2 -q -o "$tmp/tiny.onnx"
tiny="$tmp/tiny.onnx"
for f in lime shap lime-shap; do
  expect "tiny-figure-$f" 0 -- "$cli" explain "$tiny" --data "$tmp/tiny" --index 0 --figure "$f" \
    --protect none -o "$tmp/tf-$f.png" --dpi 40
  check "tiny-figure-$f-note" grep -q 'too small for superpixels: a 2 × 2 patch grid' "$tmp/err"
  check "tiny-figure-$f-grid" grep -q 'grid=2x2' "$tmp/out"
  check "tiny-figure-$f-no-model-blame" bash -c "! grep -q 'SLIC needs' '$tmp/err'"
done
for m in lime kernel-shap; do
  expect "tiny-raw-$m" 0 -- "$cli" explain "$tiny" --data "$tmp/tiny" --index 0 --method "$m" \
    -o "$tmp/tr-$m.pb"
  check "tiny-raw-$m-note" grep -q 'too small for superpixels: a 2 × 2 patch grid' "$tmp/err"
  check "tiny-raw-$m-grid" grep -q 'grid=2x2' "$tmp/out"
  # one value per pixel, the 4 patches of a 2 × 2 grid
  check "tiny-raw-$m-shape" grep -q '^attribution \[1, 1, 2, 2\]\|^attribution \[4\]' "$tmp/out"
  # an explicit --segmentation slic: refused, naming the dataset, its size and --grid N
  expect "tiny-raw-$m-slic" 1 -- "$cli" explain "$tiny" --data "$tmp/tiny" --index 0 \
    --method "$m" --segmentation slic -o "$tmp/ts.pb"
  check "tiny-raw-$m-slic-says" grep -q 'tiny: its 2 × 2 images are too small for SLIC.*--grid N (N ≤ 2)' "$tmp/err"
  check "tiny-raw-$m-slic-not-model" bash -c "! grep -q 'tiny.onnx' '$tmp/err'"
  check "tiny-raw-$m-slic-no-file" test ! -e "$tmp/ts.pb"
done
# --segmentation slic with --grid: still SLIC, still refused
expect tiny-raw-slic-grid 1 -- "$cli" explain "$tiny" --data "$tmp/tiny" --index 0 \
  --method kernel-shap --segmentation slic --grid 2 -o "$tmp/ts.pb"
check tiny-raw-slic-grid-says grep -q 'tiny: its 2 × 2 images are too small for SLIC' "$tmp/err"
# --grid alone: patches for lime too (as --segmentation documents), no note
expect tiny-raw-lime-grid 0 -- "$cli" explain "$tiny" --data "$tmp/tiny" --index 0 \
  --method lime --grid 1 -o "$tmp/tg.pb"
check tiny-raw-lime-grid-1x1 grep -q 'grid=1x1' "$tmp/out"
check tiny-raw-lime-grid-no-note bash -c "! grep -q 'too small' '$tmp/err'"
expect tiny-figure-slic 1 -- "$cli" explain "$tiny" --data "$tmp/tiny" --figure lime \
  --segmentation slic --protect none -o "$tmp/tfs.png"
check tiny-figure-slic-says grep -q 'tiny: its 2 × 2 images are too small for SLIC.*--grid N (N ≤ 2)' "$tmp/err"
# the 28 × 28 Fashion-MNIST images still get SLIC superpixels, without a note
expect big-raw-lime 0 -- "$cli" explain "$model" --index 0 --method lime --samples 50 -o "$tmp/bl.pb"
check big-raw-lime-no-note bash -c "! grep -q 'too small' '$tmp/err'"

# ---- 3. a 20 000-character option value is echoed cut, not whole ----
expect long-protect 1 -- "$cli" prune "$model" --sparsity 50% -n 10 --protect "$long" -o "$tmp/p.onnx"
check long-protect-short test "$(wc -c < "$tmp/err")" -lt 1000
check long-protect-cut grep -q 'protected layer “w*…”' "$tmp/err"
expect long-protect-explain 1 -- "$cli" explain "$model" --figure saliency --protect "$long" \
  -o "$tmp/s.png"
check long-protect-explain-short test "$(wc -c < "$tmp/err")" -lt 1000
expect long-layer 1 -- "$cli" explain "$model" --method grad-cam --layer "$long" -o "$tmp/g.pb"
check long-layer-short test "$(wc -c < "$tmp/err")" -lt 1000
check long-layer-says grep -q 'no node or value named “w*…” for Grad-CAM' "$tmp/err"
expect good-layer 0 -- "$cli" explain "$model" --method grad-cam --layer conv2 -o "$tmp/g.pb"
expect long-target 2 -- "$cli" explain "$model" --method saliency --target "$long" -o "$tmp/g.pb"
check long-target-short test "$(wc -c < "$tmp/err")" -lt 1000
check long-target-says grep -q -- '“w*…” for --target' "$tmp/err"
expect long-data 1 -- "$cli" eval "$model" -d "$long"
check long-data-short test "$(wc -c < "$tmp/err")" -lt 1000
check long-data-says grep -q 'no such file or folder (a path of 20000 bytes' "$tmp/err"
# a path that could be real (under 4096 bytes) is named whole: the user needs it to find it
mid="$tmp/$(head -c 2000 /dev/zero | tr '\0' 'x')"
expect mid-data 1 -- "$cli" eval "$model" -d "$mid"
check mid-data-whole grep -qF "$mid: no such file or folder" "$tmp/err"

# "S % of prunable weights" only where the target is such a share: not for layer-wise
# channels (a share of each layer's channels)
expect channels-layerwise 0 -- "$cli" prune "$model" --sparsity 25% --granularity channels \
  --scope layerwise --samples 100 -o "$tmp/cl.onnx"
check channels-layerwise-label bash -c "grep '^pruned: ' '$tmp/out' | grep -qv 'prunable weights'"
expect unstructured-label 0 -- "$cli" prune "$model" --sparsity 50% --samples 100 -o "$tmp/u.onnx"
check unstructured-label-says grep -q '^pruned: 50 % of prunable weights (' "$tmp/out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
