#!/usr/bin/env bash
# explain --figure lime | shap | lime-shap: every option honoured or refused (exit 2, naming it),
# with the same rules as raw mode:
# 1. --baseline: a value is LIME's fill and KernelSHAP's baseline; mean: LIME's mean colour
#    (the figure's LIME then equals raw --method lime's default); refused where it has no use;
# 2. --grid N: N × N patches in every figure mode (not SLIC); with --segmentation slic: refused;
# 3. a --grid that does not fit the images is refused, naming the sizes;
# 4. table rows: --segmentation, --grid and --baseline refused, as raw mode refuses them;
# 5. 4 × 4 images take the small-image patch grid (SLIC gave one segment);
# 6. a one-row figure's parameter line says "(both)" only when both rows show;
# 7. the too-small-for-SLIC message suggests --segmentation grid, not --figure shap;
# 8. options only raw mode uses (--target, --steps, --samples, …) are refused by every figure
#    mode, naming the option, and --segmentation by the saliency and features figures;
# 9. the title says "per patch" for a patch grid, "per superpixel" otherwise.
# Usage: test-cli-explain-opts.sh PRUNELENS_CLI SOURCE_DIR
set -u
cli=$1
src=$2
. "$(dirname "$0")/cli-test-lib.sh"

export PL_NUM_THREADS=1
export LANGUAGE=C LC_ALL=C.UTF-8
py=/usr/bin/python3
model="$src/data/models/fashion-cnn.onnx"
iris="$src/data/datasets/iris.csv"

expect probe 0 -- "$cli" explain "$model" --index 0 --method lime --samples 50 -o "$tmp/p.pb"
vlfeat=0
grep -q 'superpixels=slic' "$tmp/out" && vlfeat=1

# the surrogate R² of a "LIME (…): original surrogate R² = 0.863, pruned …" line
fig_r2() { sed -n 's/^LIME (.*): original surrogate R² = \([0-9.]*\),.*/\1/p' "$1"; }
raw_r2() { awk '/^r2 /{ printf "%.3f\n", $2 }' "$1"; }

# ---- 1. --baseline ----
expect bl-value-lime 0 -- "$cli" explain "$model" --index 0 --figure lime --baseline 0.5 \
  -o "$tmp/b1.png" --dpi 40
check bl-value-lime-fill bash -c "grep '^LIME (' '$tmp/out' | grep -q ' fill=0.5 '"
cp "$tmp/out" "$tmp/b1.out"
expect bl-value-raw 0 -- "$cli" explain "$model" --index 0 --method lime --baseline 0.5 \
  -o "$tmp/b1.pb"
check bl-value-r2-as-raw test -n "$(fig_r2 "$tmp/b1.out")" -a \
  "$(fig_r2 "$tmp/b1.out")" = "$(raw_r2 "$tmp/out")"
expect bl-value-both 0 -- "$cli" explain "$model" --index 0 --figure lime-shap --baseline 0.5 \
  -o "$tmp/b2.png" --dpi 40
check bl-value-both-lime bash -c "grep '^LIME (' '$tmp/out' | grep -q ' fill=0.5 '"
check bl-value-both-shap bash -c "grep '^KernelSHAP (' '$tmp/out' | grep -q ' baseline=0.5 '"
check bl-value-no-warning bash -c "! grep -q 'signs may differ' '$tmp/out'"
expect bl-shap 0 -- "$cli" explain "$model" --index 0 --figure shap --baseline 0.25 \
  -o "$tmp/b3.png" --dpi 40
check bl-shap-baseline bash -c "grep '^KernelSHAP (' '$tmp/out' | grep -q ' baseline=0.25 '"
# mean: LIME's own mean colour, as raw --method lime's default; the caption warns
expect bl-mean-lime 0 -- "$cli" explain "$model" --index 0 --figure lime --baseline mean \
  -o "$tmp/m1.png" --dpi 40
check bl-mean-fill bash -c "grep '^LIME (' '$tmp/out' | grep -q ' fill=mean '"
cp "$tmp/out" "$tmp/m1.out"
expect bl-mean-raw 0 -- "$cli" explain "$model" --index 0 --method lime -o "$tmp/m1.pb"
check bl-mean-r2-as-raw test -n "$(fig_r2 "$tmp/m1.out")" -a \
  "$(fig_r2 "$tmp/m1.out")" = "$(raw_r2 "$tmp/out")"
check bl-mean-differs-from-0 test "$(fig_r2 "$tmp/m1.out")" != "$(fig_r2 "$tmp/b1.out")"
expect bl-mean-both 0 -- "$cli" explain "$model" --index 0 --figure lime-shap --baseline mean \
  -o "$tmp/m2.png" --dpi 40
check bl-mean-both-warns grep -q 'hidden superpixels: LIME mean colour, KernelSHAP 0 — the signs may differ' "$tmp/out"
check bl-mean-both-shap-0 bash -c "grep '^KernelSHAP (' '$tmp/out' | grep -q ' baseline=0 '"
expect bl-bad 2 -- "$cli" explain "$model" --index 0 --figure lime --baseline nope \
  -o "$tmp/bad.png"
check bl-bad-names grep -q -- '--baseline “nope”' "$tmp/err"
check bl-bad-no-file test ! -e "$tmp/bad.png"
expect bl-saliency 2 -- "$cli" explain "$model" --index 0 --figure saliency --baseline 0.5 \
  -o "$tmp/bad.png"
check bl-saliency-names grep -q -- '--baseline does not apply to --figure saliency' "$tmp/err"
expect help 0 -- "$cli" explain --help
check help-figure-baseline grep -q "shap: a value, LIME's fill and KernelSHAP's baseline (default 0)" "$tmp/out"
check man-figure-baseline grep -q 'fills LIME.s hidden superpixels with their mean colour' \
  "$src/doc/prunelens-cli.1"

# ---- 2. --grid N: patches in every figure mode ----
for f in lime lime-shap; do
  expect "grid-$f" 0 -- "$cli" explain "$model" --index 0 --figure "$f" --grid 3 \
    -o "$tmp/g-$f.png" --dpi 40
  check "grid-$f-3x3" bash -c "grep '^LIME (' '$tmp/out' | grep -q 'segments=9 grid=3x3 '"
  check "grid-$f-no-slic" bash -c "! grep -q 'superpixels=' '$tmp/out'"
done
check grid-lime-shap-shap bash -c "grep '^KernelSHAP (' '$tmp/out' | grep -q 'grid=3x3 '"
expect grid-shap 0 -- "$cli" explain "$model" --index 0 --figure shap --grid 2 --budget 100 \
  -o "$tmp/gs.png" --dpi 40
check grid-shap-patches grep -q '2 × 2 patches' "$tmp/out"
if [ "$vlfeat" -eq 1 ]; then
  expect grid-and-slic 2 -- "$cli" explain "$model" --index 0 --figure lime --grid 3 \
    --segmentation slic -o "$tmp/bad.png"
  check grid-and-slic-names grep -q -- '--grid N asks for N × N patches; leave out --segmentation slic' "$tmp/err"
fi

# ---- 3, 5, 7. 4 × 4 images ----
"$py" - "$tmp" <<'PYEOF'
import os, struct, sys, zlib
import onnx, numpy as np
from onnx import helper as h, TensorProto as T, numpy_helper as nh
root = sys.argv[1]
def png(path, pixels):  # 4 x 4 grey, 8 bit
    raw = b"".join(b"\0" + bytes(r) for r in pixels)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for k, cls in enumerate(["dark", "light"]):
    os.makedirs(f"{root}/small/{cls}", exist_ok=True)
    for i in range(6):
        v = (40 + 10 * i) if k == 0 else (200 - 10 * i)
        png(f"{root}/small/{cls}/{i}.png", [[(v + 13 * (r * 4 + c)) % 256 for c in range(4)]
                                           for r in range(4)])
W = nh.from_array(np.stack([-np.arange(1, 17), np.arange(1, 17)]).astype(np.float32) / 16, "W")
B = nh.from_array(np.array([2, -2], np.float32), "B")
nodes = [h.make_node("Flatten", ["x"], ["f"], name="flat"),
         h.make_node("Gemm", ["f", "W", "B"], ["y"], name="fc", transB=1)]
g = h.make_graph(nodes, "small", [h.make_tensor_value_info("x", T.FLOAT, ["N", 1, 4, 4])],
                 [h.make_tensor_value_info("y", T.FLOAT, ["N", 2])], [W, B])
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)]); m.ir_version = 7
onnx.save(m, f"{root}/small.onnx")
PYEOF
small="$tmp/small.onnx"
sm() { "$cli" explain "$small" --data "$tmp/small" --index 0 --protect none "$@"; }
for f in lime shap lime-shap; do
  expect "small-seg-grid7-$f" 2 -- sm --figure "$f" --segmentation grid --grid 7 -o "$tmp/bad.png"
  check "small-seg-grid7-$f-says" grep -q -- '--grid 7 does not fit the 4 × 4 images' "$tmp/err"
done
expect small-grid5-lime 2 -- sm --figure lime --grid 5 -o "$tmp/bad.png"
check small-grid5-lime-says grep -q -- '--grid 5 does not fit the 4 × 4 images .*--grid 4 or less' "$tmp/err"
expect small-grid2-lime 0 -- sm --figure lime --grid 2 -o "$tmp/s2.png" --dpi 40
check small-grid2-lime-2x2 grep -q 'segments=4 grid=2x2 ' "$tmp/out"
if [ "$vlfeat" -eq 1 ]; then
  expect small-default 0 -- sm --figure lime-shap -o "$tmp/s.png" --dpi 40
  check small-default-grid bash -c "grep '^LIME (' '$tmp/out' | grep -q 'segments=16 grid=4x4 '"
  check small-default-note grep -q 'too small for superpixels: a 4 × 4 patch grid instead' "$tmp/err"
  expect small-slic 1 -- sm --figure lime-shap --segmentation slic -o "$tmp/bad.png"
  check small-slic-suggests grep -q -- 'or use --segmentation grid --grid N (N ≤ 4)' "$tmp/err"
  check small-slic-no-shap-only bash -c "! grep -q -- '--figure shap' '$tmp/err'"
  expect small-raw-lime 0 -- sm --method lime --samples 100 -o "$tmp/s.pb"
  check small-raw-lime-grid grep -q 'grid=4x4' "$tmp/out"
fi

# ---- 4. table rows ----
expect train-iris 0 -- "$cli" train --data "$iris" --arch mlp --epochs 5 --seed 1 \
  -o "$tmp/iris.onnx" --quiet
for s in quickshift grid slic; do
  expect "iris-seg-$s" 2 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 0 \
    --figure lime --segmentation "$s" -o "$tmp/bad.png"
  check "iris-seg-$s-says" grep -q -- '--segmentation is for images' "$tmp/err"
done
expect iris-grid 2 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 0 \
  --figure lime-shap --grid 2 -o "$tmp/bad.png"
check iris-grid-says grep -q -- '--grid is for images' "$tmp/err"
expect iris-baseline 2 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 0 \
  --figure lime-shap --baseline 0.5 -o "$tmp/bad.png"
check iris-baseline-says grep -q -- '--baseline 0.5 does not apply' "$tmp/err"
check iris-no-file test ! -e "$tmp/bad.png"
expect iris-plain 0 -- "$cli" explain "$tmp/iris.onnx" --data "$iris" --index 0 \
  --figure lime -o "$tmp/iris.png" --dpi 40

# ---- 8. raw-only options refused by figures ----
for f in saliency features lime shap lime-shap; do
  for opt in "--target 3" "--steps 8" "--rule left" "--samples 10" "--noise 0.1" "--window 3" \
             "--stride 2" "--layer conv1" "--signed" "--json"; do
    name=${opt%% *}
    # shellcheck disable=SC2086
    expect "raw-only-$f$name" 2 -- "$cli" explain "$model" --index 0 --figure "$f" $opt \
      -o "$tmp/bad.png"
    check "raw-only-$f$name-says" grep -q -- "$name is for raw mode" "$tmp/err"
  done
done
check raw-only-no-file test ! -e "$tmp/bad.png"
for f in saliency features; do
  expect "seg-$f" 2 -- "$cli" explain "$model" --index 0 --figure "$f" --segmentation slic \
    -o "$tmp/bad.png"
  check "seg-$f-says" grep -q -- "--segmentation does not apply to --figure $f" "$tmp/err"
done
# raw mode still takes them
expect raw-steps 0 -- "$cli" explain "$model" --index 0 --method integrated-gradients --steps 8 \
  --target 3 -o "$tmp/ig.pb"
# patches are called patches in the title; superpixels superpixels
expect title-patch 0 -- "$cli" explain "$model" --index 0 --figure lime-shap --segmentation grid \
  --grid 4 -o "$tmp/tp.png" --dpi 40
check title-patch-says grep -q '^LIME and KernelSHAP per patch' "$tmp/out"
expect title-slic 0 -- "$cli" explain "$model" --index 0 --figure lime -o "$tmp/ts.png" --dpi 40
check title-slic-says grep -q '^LIME per superpixel' "$tmp/out"

# ---- 6. "(both)" only when both rows show ----
if command -v pdftotext >/dev/null; then
  expect both-lime 0 -- "$cli" explain "$model" --index 0 --figure lime -o "$tmp/l.pdf"
  check both-lime-text bash -c "pdftotext '$tmp/l.pdf' - | grep -q 'fill = 0 · '"
  check both-lime-no-both bash -c "! pdftotext '$tmp/l.pdf' - | grep -q '(both)'"
  expect both-lime-mean 0 -- "$cli" explain "$model" --index 0 --figure lime --baseline mean \
    -o "$tmp/lm.pdf"
  check both-lime-mean-text bash -c "pdftotext '$tmp/lm.pdf' - | grep -q 'LIME fill = mean colour · '"
  check both-lime-mean-no-shap bash -c "! pdftotext '$tmp/lm.pdf' - | grep -q 'SHAP fill'"
  expect both-shap 0 -- "$cli" explain "$model" --index 0 --figure shap -o "$tmp/s.pdf"
  check both-shap-no-both bash -c "! pdftotext '$tmp/s.pdf' - | grep -q '(both)'"
  expect both-both 0 -- "$cli" explain "$model" --index 0 --figure lime-shap -o "$tmp/ls.pdf"
  check both-both-text bash -c "pdftotext '$tmp/ls.pdf' - | grep -q 'fill = 0 (both) · '"
else
  echo "no pdftotext: the figure's parameter lines are not checked"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
