"""PyTorch side of bench/am-step-vs-torch.ts: the same TFLite network, in plain torch.nn ops.

The .tflite is read independently of featvis: constants through tf.lite.Interpreter
(raw values + their quantisation parameters, dequantised here as (q - zero_point) * scale,
per tensor or per channel), operator options (strides, padding, fused activation) through
TensorFlow's own FlatBuffer schema module. The graph runs in NCHW float32, the way a
PyTorch user (and Lucent) would run it; TF SAME padding is emulated exactly with an
explicit asymmetric F.pad (the odd pixel after), then a VALID convolution.

Driven over stdin/stdout by the TypeScript bench (one JSON object per line), so that both
frameworks' timings are interleaved in one run on the same loaded machine:
  {"cmd": "init", "model": path, "layer": name, "channel": c, "range": [lo, hi], "threads": 2}
  {"cmd": "init", "kind": "inception", "weights": dir, "layer": "mixed6", ...}   (torch_inception.py)
  {"cmd": "check", "input": f32 file [N,H,W,3], "act": f32 file [N,h,w,C], "shape": [N,H,W]}
  {"cmd": "time", "batch": N, "size": S, "steps": k, "transforms": "none"|"pad+jitter", "tv": w,
   "weightsGrad": bool}                               -> per-step ms
  {"cmd": "forward", "batch": N, "size": S, "reps": k} -> per-forward ms (no grad)
  {"cmd": "profile", "batch": N, "size": S, "steps": k, "transforms": …, "tv": w} -> op table
  {"cmd": "quit"}
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# ------------------------------------------------------------------ the network


def _same_pad(size, k, s, d=1):
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def _act(x, a):
    # TFLite ActivationFunctionType: 0 NONE, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6, 4 TANH
    if a == 0:
        return x
    if a == 1:
        return F.relu(x)
    if a == 2:
        return x.clamp(-1, 1)
    if a == 3:
        return F.relu6(x)
    if a == 4:
        return torch.tanh(x)
    raise ValueError(f"fused activation {a}")


class TfliteTorch(torch.nn.Module):
    """The prefix of a TFLite graph up to tensor `layer`, as torch ops (NCHW)."""

    def __init__(self, path, layer):
        super().__init__()
        import tensorflow as tf
        from tensorflow.lite.python import schema_py_generated as S

        interp = tf.lite.Interpreter(model_path=path)
        details = {d["index"]: d for d in interp.get_tensor_details()}
        buf = open(path, "rb").read()
        model = S.Model.GetRootAsModel(buf, 0)
        g = model.Subgraphs(0)
        codes = []
        for i in range(model.OperatorCodesLength()):
            oc = model.OperatorCodes(i)
            codes.append(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()))
        names = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
        tname = lambda i: g.Tensors(i).Name().decode()  # noqa: E731
        wanted = None
        for i in range(g.TensorsLength()):
            n = tname(i)
            if n == layer or n.endswith("/" + layer):
                wanted = i
        if wanted is None:
            raise ValueError(f"no tensor named {layer}")
        self.input = g.Inputs(0)
        self.output = wanted
        self.ops = []
        self.params = torch.nn.ParameterList()

        def const(i):
            d = details[i]
            raw = interp.get_tensor(i)
            q = d["quantization_parameters"]
            sc, zp = q["scales"], q["zero_points"]
            if raw.dtype in (np.float32, np.float16, np.float64) or len(sc) == 0:
                return raw.astype(np.float32)
            if len(sc) == 1:
                return ((raw.astype(np.float64) - zp[0]) * sc[0]).astype(np.float32)
            dim = q["quantized_dimension"]
            shp = [1] * raw.ndim
            shp[dim] = -1
            z = zp.reshape(shp) if len(zp) == len(sc) else zp[0]
            return ((raw.astype(np.float64) - z) * sc.reshape(shp)).astype(np.float32)

        def param(a):
            p = torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(a)), requires_grad=False)
            self.params.append(p)
            return p

        for k in range(g.OperatorsLength()):
            op = g.Operators(k)
            name = names[codes[op.OpcodeIndex()]]
            ins = [op.Inputs(j) for j in range(op.InputsLength())]
            out = op.Outputs(0)
            if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                o = (S.Conv2DOptions if name == "CONV_2D" else S.DepthwiseConv2DOptions)()
                t = op.BuiltinOptions()
                o.Init(t.Bytes, t.Pos)
                w = const(ins[1])  # conv [out, kh, kw, in]; depthwise [1, kh, kw, C*M]
                if name == "CONV_2D":
                    wt = w.transpose(0, 3, 1, 2)
                    groups = 1
                else:
                    cin = details[ins[0]]["shape"][3]
                    wt = w[0].transpose(2, 0, 1)[:, None, :, :]  # [C*M, 1, kh, kw]
                    groups = cin
                b = const(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
                spec = dict(
                    kind="conv", w=param(wt), b=None if b is None else param(b), groups=groups,
                    stride=(o.StrideH(), o.StrideW()), dil=(o.DilationHFactor(), o.DilationWFactor()),
                    same=o.Padding() == S.Padding.SAME, act=o.FusedActivationFunction(),
                )
                self.ops.append((spec, [ins[0]], out))
            elif name == "ADD":
                o = S.AddOptions()
                t = op.BuiltinOptions()
                o.Init(t.Bytes, t.Pos)
                self.ops.append((dict(kind="add", act=o.FusedActivationFunction()), ins[:2], out))
            elif name in ("QUANTIZE", "DEQUANTIZE"):
                self.ops.append((dict(kind="id"), [ins[0]], out))
            elif name == "AVERAGE_POOL_2D":
                self.ops.append((dict(kind="gap"), [ins[0]], out))  # MobileNet's global pool (VALID, whole map)
            else:
                if out == wanted or k < self._last_needed(g, wanted):
                    raise ValueError(f"op {name} not supported by this bench")
            if out == wanted:
                break

    @staticmethod
    def _last_needed(g, wanted):
        for k in range(g.OperatorsLength()):
            if g.Operators(k).Outputs(0) == wanted:
                return k
        return -1

    def forward(self, x):  # x: NCHW, already mapped to the network's input range
        v = {self.input: x}
        for spec, ins, out in self.ops:
            a = v[ins[0]]
            kind = spec["kind"]
            if kind == "conv":
                w = spec["w"]
                kh, kw = w.shape[2], w.shape[3]
                pad = 0
                if spec["same"]:
                    ph = _same_pad(a.shape[2], kh, spec["stride"][0], spec["dil"][0])
                    pw = _same_pad(a.shape[3], kw, spec["stride"][1], spec["dil"][1])
                    if ph[0] == ph[1] and pw[0] == pw[1]:
                        pad = (ph[0], pw[0])  # symmetric: let the convolution pad (no copy)
                    else:
                        a = F.pad(a, (pw[0], pw[1], ph[0], ph[1]))  # TF SAME: the odd pixel after
                y = F.conv2d(a, w, spec["b"], spec["stride"], pad, spec["dil"], spec["groups"])
                y = _act(y, spec["act"])
            elif kind == "add":
                y = _act(a + v[ins[1]], spec["act"])
            elif kind == "gap":
                y = a.mean((2, 3), keepdim=True)
            else:
                y = a
            v[out] = y
        return v[self.output]


# ------------------------------------------------------------------ the AM loop (Lucent-style)

state = {}


def tv_penalty(img):  # same definition as featvis regularizers.ts: mean |dy| + mean |dx| per image
    dy = (img[:, :, 1:, :] - img[:, :, :-1, :]).abs().mean((1, 2, 3))
    dx = (img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean((1, 2, 3))
    return dy + dx


def make_step(batch, size, transforms, tv, weights_grad):
    net = state["net"]
    for p in net.parameters():
        p.requires_grad_(weights_grad)
    lo, hi = state["range"]
    c = state["channel"]
    g = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    # Lucent's pixel_image(sd=0.01) would work the same; featvis pixel init std is 0.1
    param = (torch.randn(batch, 3, size, size, generator=g) * 0.1).requires_grad_(True)
    opt = torch.optim.Adam([param], lr=0.05)

    def step():
        opt.zero_grad()
        img = torch.sigmoid(param)
        x = img
        if transforms == "pad+jitter":
            # lucent.optvis.transform.pad(12, mode="constant", constant_value=0.5) + jitter(8)
            x = F.pad(x, (12, 12, 12, 12), mode="constant", value=0.5)
            dx, dy = rng.integers(0, 8), rng.integers(0, 8)
            x = x[:, :, dx : dx + x.shape[2] - 8, dy : dy + x.shape[3] - 8]
        act = net(x * (hi - lo) + lo)
        score = act[:, c].mean((1, 2))
        if tv:
            score = score - tv * tv_penalty(img)
        loss = -score.sum()
        loss.backward()
        opt.step()
        return loss

    return step


def handle(req):
    cmd = req["cmd"]
    if cmd == "init":
        state["threads"] = int(req.get("threads", 2))
        torch.set_num_threads(state["threads"])
        t0 = time.perf_counter()
        if req.get("kind", "tflite") == "inception":
            from torch_inception import load_inception

            state["net"] = load_inception(req["weights"], req["layer"]).eval()
        else:
            state["net"] = TfliteTorch(req["model"], req["layer"]).eval()
        state["range"] = req["range"]
        state["channel"] = req["channel"]
        return {"ok": True, "ops": len(getattr(state["net"], "ops", [])), "seconds": time.perf_counter() - t0, "threads": torch.get_num_threads(), "torch": torch.__version__}
    if cmd == "check":
        n, h, w = req["shape"]
        x = np.fromfile(req["input"], dtype=np.float32).reshape(n, h, w, 3)
        ref = np.fromfile(req["act"], dtype=np.float32)
        lo, hi = state["range"]
        with torch.no_grad():
            y = state["net"](torch.from_numpy(x).permute(0, 3, 1, 2) * (hi - lo) + lo).permute(0, 2, 3, 1).numpy()
        ref = ref.reshape(y.shape)
        return {"ok": True, "shape": list(y.shape), "torchSum": float(y.astype(np.float64).sum()), "refSum": float(ref.astype(np.float64).sum()), "maxAbsDiff": float(np.abs(y - ref).max()), "maxAbs": float(np.abs(ref).max()), "meanAbsDiff": float(np.abs(y - ref).mean())}
    if cmd == "time":
        torch.set_num_threads(int(req.get("threads", state.get("threads", 2))))
        step = make_step(req["batch"], req["size"], req.get("transforms", "none"), req.get("tv", 0), req.get("weightsGrad", False))
        ms = []
        for _ in range(req["steps"]):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1000)
        return {"ok": True, "ms": ms}
    if cmd == "forward":
        torch.set_num_threads(int(req.get("threads", state.get("threads", 2))))
        net = state["net"]
        x = torch.rand(req["batch"], 3, req["size"], req["size"])
        ms = []
        with torch.no_grad():
            for _ in range(req["reps"]):
                t0 = time.perf_counter()
                net(x)
                ms.append((time.perf_counter() - t0) * 1000)
        return {"ok": True, "ms": ms}
    if cmd == "profile":
        torch.set_num_threads(int(req.get("threads", state.get("threads", 2))))
        step = make_step(req["batch"], req["size"], req.get("transforms", "none"), req.get("tv", 0), False)
        step()
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(req["steps"]):
                step()
        rows = []
        for e in prof.key_averages():
            rows.append({"name": e.key, "count": e.count, "selfMs": e.self_cpu_time_total / 1000 / req["steps"]})
        rows.sort(key=lambda r: -r["selfMs"])
        return {"ok": True, "rows": rows[:25]}
    if cmd == "quit":
        return None
    return {"ok": False, "error": f"unknown cmd {cmd}"}


def main():
    out = sys.stdout
    sys.stdout = sys.stderr  # keep the protocol channel clean of library prints
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            res = handle(json.loads(line))
        except Exception as e:  # report, keep serving
            res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        if res is None:
            break
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
