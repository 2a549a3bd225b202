#!/usr/bin/python3
"""export-pytorch-models.py — builds small PyTorch models with a fixed seed and exports
them to ONNX as test fixtures for PruneLens (issue 3: real models from PyTorch).

Run with Debian's Python (python3-torch 1.13, python3-onnx):

    /usr/bin/python3 tools/export-pytorch-models.py [OUTDIR]     (default tests/models)

For every model it writes OUTDIR/<name>/:
    model.onnx          torch.onnx.export, dynamic batch axis "batch"
    input_0.pb          a seeded input batch of 3 Fashion-MNIST-sized images [3, 1, 28, 28]
    torch-output_0.pb   PyTorch's own output for that input (eval mode)
The ONNX Runtime reference (ort-output_0.pb) is written afterwards by
    node tools/ort/ort-run.js OUTDIR/<name>/model.onnx OUTDIR/<name>/input_0.pb -o DIR
(tools/export-pytorch-models.py --with-ort does that too when tools/ort is installed).

Models:
    lenet5          Conv 5x5 pad 2 / ReLU / MaxPool, Conv 5x5 / ReLU / AveragePool,
                    x.view(n, -1) (the Shape, Gather, Unsqueeze, Concat -> Reshape subgraph),
                    Gemm 400-120-84-10; opset 13
    lenet5-opset11  the same weights at opset 11, initializers also listed as graph inputs
    mlp             Flatten, Gemm 784-64 ReLU, 64-32 Tanh, 32-10; opset 13
    resnet-small    Conv/BatchNorm/ReLU stem, two residual blocks (identity and strided 1x1
                    projection shortcut, residual Add), GlobalAveragePool, Gemm; BatchNorm
                    with random non-trivial running statistics, kept as BatchNormalization
                    nodes (not folded into the convolutions); opset 13
Deterministic: the same files on every run (fixed seeds, single thread).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + s)


class ResNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.block2(self.block1(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


def randomise_batchnorm(model, gen):
    """Non-trivial running statistics and affine parameters, so a loader or engine that
    ignored any of the four BatchNorm tensors (or epsilon) would give different outputs."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
            m.eps = 1e-3  # not the default, so the attribute matters


def amplify_logits(linear, factor):
    """PyTorch's default initialisation gives logits of about 0.1 on these inputs; scale
    the last layer so they are of order 1 and an absolute tolerance of 1e-4 means
    something."""
    with torch.no_grad():
        linear.weight.mul_(factor)
        linear.bias.mul_(factor)


def save_tensor(array, name, path):
    t = numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export(model, name, outdir, x, opset, keep_initializers_as_inputs=False):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    path = os.path.join(d, "model.onnx")
    # TrainingMode.PRESERVE with the model in eval mode exports inference-mode
    # BatchNormalization nodes without fusing them into the preceding Conv (EVAL would).
    torch.onnx.export(model, x, path, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=True,
                      keep_initializers_as_inputs=keep_initializers_as_inputs)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    with torch.no_grad():
        y = model(x).numpy()
    save_tensor(x.numpy(), "input", os.path.join(d, "input_0.pb"))
    save_tensor(y, "logits", os.path.join(d, "torch-output_0.pb"))
    ops = sorted({n.op_type for n in m.graph.node})
    size = os.path.getsize(path)
    print(f"{name}: opset {opset}, {size} bytes, output {list(y.shape)}, ops {' '.join(ops)}")
    if size > 300 * 1024:
        sys.exit(f"{name}: {size} bytes, above the 300 KB limit for test fixtures")
    return d


def run_ort(d, root):
    script = os.path.join(root, "tools", "ort", "ort-run.js")
    with_tmp = os.path.join(d, "ort-tmp")
    subprocess.run(["node", script, os.path.join(d, "model.onnx"),
                    os.path.join(d, "input_0.pb"), "-o", with_tmp, "--threads", "1"],
                   check=True)
    os.replace(os.path.join(with_tmp, "output_0.pb"), os.path.join(d, "ort-output_0.pb"))
    os.rmdir(with_tmp)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_ort = "--with-ort" in sys.argv[1:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outdir = args[0] if args else os.path.join(root, "tests", "models")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    dirs = []
    torch.manual_seed(3)
    lenet = LeNet5()
    amplify_logits(lenet.fc3, 20.0)
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(11))
    dirs.append(export(lenet, "lenet5", outdir, x, 13))
    dirs.append(export(lenet, "lenet5-opset11", outdir, x, 11, keep_initializers_as_inputs=True))

    torch.manual_seed(4)
    mlp = MLP()
    amplify_logits(mlp.fc3, 8.0)
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(12))
    dirs.append(export(mlp, "mlp", outdir, x, 13))

    torch.manual_seed(5)
    net = ResNetSmall()
    randomise_batchnorm(net, torch.Generator().manual_seed(6))
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(13))
    d = export(net, "resnet-small", outdir, x, 13)
    ops = {n.op_type for n in onnx.load(os.path.join(d, "model.onnx")).graph.node}
    if "BatchNormalization" not in ops:
        sys.exit("resnet-small: BatchNormalization was folded away by the exporter")
    dirs.append(d)

    if with_ort:
        for d in dirs:
            run_ort(d, root)


if __name__ == "__main__":
    main()
