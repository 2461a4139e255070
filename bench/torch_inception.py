"""InceptionV3 in plain torch.nn, torchvision style, from a Keras InceptionV3's weights.

Used by bench/torch_am_step.py for the InceptionV3 comparison of bench/am-step-vs-torch.ts.
The modules are torchvision's (BasicConv2d = Conv2d(bias=False) -> BatchNorm2d(eps=1e-3)
-> ReLU(inplace), InceptionA/B/C), built in Keras's creation order so that the k-th
BasicConv2d takes the Keras file's `conv2d_k/kernel` and `batch_normalization_k/*`
(Keras 2 one-based names, as nsfwjs's InceptionV3 stores them). Keras semantics where
torchvision differs: BatchNorm without scale (gamma = 1), branch average pooling
excludes the padding (count_include_pad=False), 'same' convolutions pad k // 2 (odd
kernels, stride 1: symmetric, as TF's SAME). Runs in NCHW float32, as a torch user
(and Lucent) would; the forward stops at the requested `mixedN` (N <= 7).
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class _Weights:
    """Hands out the Keras file's conv/BN weights in creation order (conv2d_1, conv2d_2, ...)."""

    def __init__(self, named):
        self.named = named
        self.k = 0

    def next(self):
        self.k += 1
        k = self.k
        w = self.named[f"conv2d_{k}/kernel"]  # Keras [kh, kw, cin, cout]
        bn = {n: self.named[f"batch_normalization_{k}/{n}"] for n in ("beta", "moving_mean", "moving_variance")}
        return w, bn


class BasicConv2d(nn.Module):
    def __init__(self, weights, stride=1, same=True):
        super().__init__()
        w, bn = weights.next()
        kh, kw, cin, cout = w.shape
        self.conv = nn.Conv2d(cin, cout, (kh, kw), stride=stride, padding=(kh // 2, kw // 2) if same else 0, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))))
            self.bn.weight.fill_(1.0)  # Keras scale=False
            self.bn.bias.copy_(torch.from_numpy(bn["beta"]))
            self.bn.running_mean.copy_(torch.from_numpy(bn["moving_mean"]))
            self.bn.running_var.copy_(torch.from_numpy(bn["moving_variance"]))

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


def _avg_pool(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):  # mixed0..2
    def __init__(self, wts):
        super().__init__()
        self.branch1x1 = BasicConv2d(wts)
        self.branch5x5_1 = BasicConv2d(wts)
        self.branch5x5_2 = BasicConv2d(wts)
        self.branch3x3dbl_1 = BasicConv2d(wts)
        self.branch3x3dbl_2 = BasicConv2d(wts)
        self.branch3x3dbl_3 = BasicConv2d(wts)
        self.branch_pool = BasicConv2d(wts)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_avg_pool(x))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):  # mixed3
    def __init__(self, wts):
        super().__init__()
        self.branch3x3 = BasicConv2d(wts, stride=2, same=False)
        self.branch3x3dbl_1 = BasicConv2d(wts)
        self.branch3x3dbl_2 = BasicConv2d(wts)
        self.branch3x3dbl_3 = BasicConv2d(wts, stride=2, same=False)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class InceptionC(nn.Module):  # mixed4..7
    def __init__(self, wts):
        super().__init__()
        self.branch1x1 = BasicConv2d(wts)
        self.branch7x7_1 = BasicConv2d(wts)
        self.branch7x7_2 = BasicConv2d(wts)
        self.branch7x7_3 = BasicConv2d(wts)
        self.branch7x7dbl_1 = BasicConv2d(wts)
        self.branch7x7dbl_2 = BasicConv2d(wts)
        self.branch7x7dbl_3 = BasicConv2d(wts)
        self.branch7x7dbl_4 = BasicConv2d(wts)
        self.branch7x7dbl_5 = BasicConv2d(wts)
        self.branch_pool = BasicConv2d(wts)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(_avg_pool(x))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionV3Torch(nn.Module):
    """Keras InceptionV3 up to `mixedN` (N <= 7) from a dict of the Keras file's weights (numpy, by name)."""

    def __init__(self, named, layer):
        super().__init__()
        if not (layer.startswith("mixed") and layer[5:].isdigit() and int(layer[5:]) <= 7):
            raise ValueError(f"layer {layer}: this bench builds InceptionV3 up to mixed0..mixed7")
        last = int(layer[5:])
        wts = _Weights(named)
        self.stem = nn.ModuleList([
            BasicConv2d(wts, stride=2, same=False),
            BasicConv2d(wts, same=False),
            BasicConv2d(wts),
            BasicConv2d(wts, same=False),  # 80, 1x1 valid
            BasicConv2d(wts, same=False),  # 192, 3x3 valid
        ])
        blocks = [InceptionA(wts) for _ in range(3)] + [InceptionB(wts)] + [InceptionC(wts) for _ in range(4)]
        self.blocks = nn.ModuleList(blocks[: last + 1])
        self.convs = wts.k

    def forward(self, x):  # x: NCHW, already mapped to the network's input range
        s = self.stem
        x = s[2](s[1](s[0](x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = s[4](s[3](x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for b in self.blocks:
            x = b(x)
        return x


def load_inception(weights_dir, layer):
    import json
    import os

    spec = json.load(open(os.path.join(weights_dir, "weights.json")))
    blob = np.fromfile(os.path.join(weights_dir, "weights.bin"), dtype=np.float32)
    named = {w["name"]: blob[w["offset"]: w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"]) for w in spec["weights"]}
    return InceptionV3Torch(named, layer)
