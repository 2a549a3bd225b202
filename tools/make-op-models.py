#!/usr/bin/python3
"""make-op-models.py — one tiny ONNX model per operator case of issue 3 (attribute
values, opset-dependent semantics), each with a seeded input, as fixtures checked
against ONNX Runtime: tests/models/ops/<case>/{model.onnx, input_0.pb}. ONNX Runtime's
outputs (ort-output_0.pb) are written by

    /usr/bin/python3 tools/make-op-models.py [OUTDIR] --with-ort

(node tools/ort/ort-run.js on every case). Deterministic (numpy seed per case).
These complement ONNX's own backend tests (tests/core/engine/test-conformance.c), which
do not cover e.g. Conv auto_pad VALID / SAME_LOWER with strides, Softmax before opset 13
on 3-D inputs, or AveragePool ceil_mode with count_include_pad.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CASES = []


def case(name, opset, x_shape, nodes, inits=(), out="Y", dynamic=True):
    """dynamic: the input's first dimension is the symbolic "N" (else all static)."""
    CASES.append((name, opset, x_shape, nodes, inits, out, dynamic))


def f32(rng, *shape):
    return (rng.standard_normal(shape)).astype(np.float32)


def i64(*vals):
    return np.array(vals, dtype=np.int64)


def build():
    r = np.random.default_rng(1)
    N = helper.make_node
    # Conv: auto_pad, strides, dilations, groups, depthwise, 1-D
    case("conv-valid-stride2", 13, [2, 3, 7, 7],
         [N("Conv", ["X", "W", "B"], ["Y"], auto_pad="VALID", strides=[2, 2])],
         [("W", f32(r, 4, 3, 3, 3)), ("B", f32(r, 4))])
    case("conv-same-upper", 13, [1, 2, 6, 6],
         [N("Conv", ["X", "W"], ["Y"], auto_pad="SAME_UPPER", strides=[2, 2])],
         [("W", f32(r, 3, 2, 4, 4))])
    case("conv-same-lower", 13, [1, 2, 7, 6],
         [N("Conv", ["X", "W"], ["Y"], auto_pad="SAME_LOWER", kernel_shape=[4, 3])],
         [("W", f32(r, 3, 2, 4, 3))])
    case("conv-groups-dilations-pads", 11, [2, 4, 8, 8],
         [N("Conv", ["X", "W", "B"], ["Y"], group=2, dilations=[2, 1], pads=[1, 2, 0, 1],
            strides=[1, 2])],
         [("W", f32(r, 6, 2, 3, 3)), ("B", f32(r, 6))])
    case("conv-depthwise", 13, [1, 3, 5, 5],
         [N("Conv", ["X", "W", "B"], ["Y"], group=3, pads=[1, 1, 1, 1])],
         [("W", f32(r, 3, 1, 3, 3)), ("B", f32(r, 3))])
    case("conv-1d", 13, [2, 2, 9],
         [N("Conv", ["X", "W"], ["Y"], strides=[2], pads=[1, 2])],
         [("W", f32(r, 3, 2, 3))])
    # Gemm, MatMul
    case("gemm-transA-alpha-beta", 13, [5, 3],
         [N("Gemm", ["X", "W", "C"], ["Y"], transA=1, alpha=0.5, beta=2.0)],
         [("W", f32(r, 5, 4)), ("C", f32(r, 4))], dynamic=False)
    case("gemm-transB-C-column", 9, [3, 5],
         [N("Gemm", ["X", "W", "C"], ["Y"], transB=1, beta=-1.0)],
         [("W", f32(r, 4, 5)), ("C", f32(r, 3, 1))], dynamic=False)
    case("matmul-batched", 13, [2, 3, 4, 5],
         [N("MatMul", ["X", "W"], ["Y"])], [("W", f32(r, 3, 5, 2))])
    case("matmul-2d", 13, [4, 6], [N("MatMul", ["X", "W"], ["Y"])], [("W", f32(r, 6, 3))])
    # Broadcasting arithmetic
    case("arith-broadcast", 13, [2, 3, 4],
         [N("Add", ["X", "A"], ["t1"]), N("Sub", ["B", "t1"], ["t2"]),
          N("Mul", ["t2", "C"], ["t3"]), N("Div", ["t3", "D"], ["Y"])],
         [("A", f32(r, 3, 1)), ("B", f32(r, 4)), ("C", f32(r, 2, 1, 1)),
          ("D", (np.abs(f32(r, 1, 3, 4)) + 0.5).astype(np.float32))])
    # Activations
    case("activations", 13, [2, 7],
         [N("LeakyRelu", ["X"], ["t1"], alpha=0.2), N("Sigmoid", ["t1"], ["t2"]),
          N("Tanh", ["X"], ["t3"]), N("Add", ["t2", "t3"], ["t4"]), N("Relu", ["t4"], ["Y"])])
    case("clip-opset6", 6, [3, 5], [N("Clip", ["X"], ["Y"], min=-0.5, max=0.7)])
    case("clip-opset13-min-only", 13, [3, 5], [N("Clip", ["X", "lo"], ["Y"])],
         [("lo", np.array(-0.3, dtype=np.float32))])
    # Softmax / LogSoftmax: before opset 13 the input is coerced to 2-D at axis
    case("softmax-opset11-axis1", 11, [2, 3, 4], [N("Softmax", ["X"], ["Y"], axis=1)])
    case("softmax-opset13-axis1", 13, [2, 3, 4], [N("Softmax", ["X"], ["Y"], axis=1)])
    case("logsoftmax-opset11-default", 11, [2, 3, 4], [N("LogSoftmax", ["X"], ["Y"])])
    case("logsoftmax-opset13-default", 13, [2, 3, 4], [N("LogSoftmax", ["X"], ["Y"])])
    # Pooling
    case("maxpool-ceil-dilations", 12, [1, 2, 9, 9],
         [N("MaxPool", ["X"], ["Y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
            dilations=[2, 1], ceil_mode=1)])
    case("maxpool-same-upper", 11, [1, 2, 7, 7],
         [N("MaxPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER")])
    case("avgpool-ceil-exclude-pad", 11, [1, 2, 8, 8],
         [N("AveragePool", ["X"], ["Y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
            ceil_mode=1, count_include_pad=0)])
    case("avgpool-include-pad", 11, [1, 2, 7, 7],
         [N("AveragePool", ["X"], ["Y"], kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1],
            count_include_pad=1)])
    case("globalavgpool-flatten", 13, [2, 3, 5, 4],
         [N("GlobalAveragePool", ["X"], ["t"]), N("Flatten", ["t"], ["Y"], axis=1)])
    case("flatten-axis2", 13, [2, 3, 4, 5], [N("Flatten", ["X"], ["Y"], axis=2)])
    # Shapes
    case("reshape-zero-minus1", 13, [2, 3, 4], [N("Reshape", ["X", "s"], ["Y"])],
         [("s", i64(0, -1, 2))])
    case("reshape-allowzero0", 14, [2, 3, 4], [N("Reshape", ["X", "s"], ["Y"], allowzero=0)],
         [("s", i64(-1, 0))])
    case("transpose", 13, [2, 3, 4, 5], [N("Transpose", ["X"], ["Y"], perm=[0, 2, 3, 1])])
    case("squeeze-unsqueeze-opset11", 11, [2, 1, 3, 1],
         [N("Squeeze", ["X"], ["t"], axes=[1, -1]), N("Unsqueeze", ["t"], ["Y"], axes=[0, 3])])
    case("squeeze-unsqueeze-opset13", 13, [2, 1, 3, 1],
         [N("Squeeze", ["X", "a"], ["t"]), N("Unsqueeze", ["t", "b"], ["Y"])],
         [("a", i64(1, -1)), ("b", i64(0, -1))])
    case("concat-neg-axis", 13, [2, 3, 4],
         [N("Concat", ["X", "C", "X"], ["Y"], axis=-1)], [("C", f32(r, 2, 3, 2))],
         dynamic=False)  # a symbolic N would have to equal C's 2
    case("pad-opset2-attr", 2, [1, 2, 3, 3],
         [N("Pad", ["X"], ["Y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=0.5)])
    case("pad-opset13-input", 13, [1, 2, 3, 3],
         [N("Pad", ["X", "p", "v"], ["Y"], mode="constant")],
         [("p", i64(0, 1, 1, 0, 0, 0, 2, 1)), ("v", np.array(-1.5, dtype=np.float32))])
    # BatchNormalization (inference), Dropout, Identity, Constant
    case("batchnorm-opset9", 9, [2, 3, 4, 4],
         [N("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], epsilon=1e-3)],
         [("s", f32(r, 3)), ("b", f32(r, 3)), ("m", f32(r, 3)),
          ("v", (np.abs(f32(r, 3)) + 0.5).astype(np.float32))])
    case("batchnorm-opset15", 15, [2, 3, 5],
         [N("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], epsilon=1e-2)],
         [("s", f32(r, 3)), ("b", f32(r, 3)), ("m", f32(r, 3)),
          ("v", (np.abs(f32(r, 3)) + 0.5).astype(np.float32))])
    case("dropout-identity-constant", 13, [2, 5],
         [N("Dropout", ["X", "ratio"], ["t1"]), N("Identity", ["t1"], ["t2"]),
          N("Constant", [], ["k"], value=numpy_helper.from_array(f32(r, 5), "k")),
          N("Add", ["t2", "k"], ["Y"])],
         [("ratio", np.array(0.5, dtype=np.float32))])
    case("dropout-opset7", 7, [2, 5], [N("Dropout", ["X"], ["Y"], ratio=0.3)])


def save_tensor(a, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outdir = args[0] if args else os.path.join(root, "tests", "models", "ops")
    build()
    jobs = []
    for k, (name, opset, x_shape, nodes, inits, out, dynamic) in enumerate(CASES):
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        x_info = helper.make_tensor_value_info(
            "X", TensorProto.FLOAT, (["N"] + x_shape[1:]) if dynamic else x_shape)
        y_info = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        inits_tp = [numpy_helper.from_array(a, n) for n, a in inits]
        graph = helper.make_graph(nodes, name.replace("-", "_"), [x_info], [y_info], inits_tp)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="make-op-models.py")
        model.ir_version = 7 if opset >= 13 else 6 if opset >= 11 else 4
        # The output's shape comes from ONNX shape inference (the checker needs one).
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(d, "model.onnx"))
        rng = np.random.default_rng(100 + k)
        x = rng.standard_normal(x_shape).astype(np.float32)
        save_tensor(x, "X", os.path.join(d, "input_0.pb"))
        jobs.append((os.path.join(d, "model.onnx"), os.path.join(d, "input_0.pb"), d))
    print(f"{len(CASES)} cases in {outdir}")
    if "--with-ort" in sys.argv[1:]:
        jobfile = os.path.join(outdir, ".jobs")
        with open(jobfile, "w") as f:
            for m, i, d in jobs:
                f.write(f"{m}\t{i}\t{d}/ort-tmp\n")
        subprocess.run(["node", os.path.join(root, "tools", "ort", "ort-run.js"),
                        "--jobs", jobfile, "--threads", "1"], check=True,
                       stdout=subprocess.DEVNULL)
        os.unlink(jobfile)
        for m, i, d in jobs:
            os.replace(os.path.join(d, "ort-tmp", "output_0.pb"), os.path.join(d, "ort-output_0.pb"))
            os.rmdir(os.path.join(d, "ort-tmp"))


if __name__ == "__main__":
    main()
