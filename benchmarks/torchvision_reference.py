"""Reference figures of the real torchvision classification models, recorded once into
tests/reference/torchvision.json, which tests/test_zoo_torchvision.py reads (CI has torch but no torchvision).

How to rerun (a separate venv outside the repository; torchvision must never go into the project's .venv):

    python3.11 -m venv /work/tv-venv
    /work/tv-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /work/tv-venv/bin/python benchmarks/torchvision_reference.py            # every model, then the JSON
    /work/tv-venv/bin/python benchmarks/torchvision_reference.py resnet50   # some models only (merged in)

Each model runs in a process of its own (memory is returned between models); its record is cached in
$TV_REF_CACHE (default /tmp/tv-ref-cache) and the JSON is written from the cache after every model, so a long
run can be stopped and resumed (`--force` recomputes cached models). Everything runs on the CPU, fp32,
torch.set_num_threads(2).

How each figure is obtained, per model (key: the builder's name; `NAME@k=v` a build with that keyword):

- the model: `torch.manual_seed(0); torchvision.models.get_model(NAME, weights=None, **kwargs)` (default
  arguments unless the key says otherwise), on the CPU.
- `params`: sum of p.numel() over model.parameters(); `trainable_params`: those with requires_grad;
  `buffers`: sum of b.numel() over model.named_buffers() (num_batches_tracked included: one element per batch
  norm); `buffer_tensors`: the buffer elements by the buffer's own name (running_mean, running_var, ...).
- `input`: [C, H, W] of the counting run: [3, 224, 224], inception_v3 [3, 299, 299].
- `flops_total`, `flops_by_op`: `torch.utils.flop_counter.FlopCounterMode(display=False)` around one forward
  pass in eval() under torch.no_grad(), batch 1; flops_by_op maps the aten op (e.g. "aten.convolution") to
  its FLOPs (FlopCounterMode counts 2 per multiply-accumulate and nothing for biases or element-wise ops).
  In these CNNs only aten.convolution and aten.addmm appear (Linear is addmm, ConvNeXt's Linear on a 4-D
  channels-last tensor too: aten flattens it; no mm or bmm in any of them).
- `macs_conv_linear` = (aten.convolution + aten.addmm + aten.mm + aten.bmm FLOPs) / 2.
  `macs_hooks`: the same figure from the forward hooks (Conv2d: out elements · k_h·k_w·C_in/groups; Linear:
  out elements · in_features; ConvTranspose2d: in elements · (C_out/groups)·k_h·k_w), a check that every
  convolution and matrix product is a hooked module (`macs_hooks_match`).
- `layers`: every nn.Conv2d, nn.ConvTranspose2d and nn.Linear call, in forward order, during that eval pass
  (forward hooks): {module: dotted name, kind: conv | conv_transpose | linear, out: the output shape without
  the batch dimension}. A Linear applied to a channels-last 4-D tensor (ConvNeXt) has out [H, W, C] and
  `"channels_last": true`. In eval() the auxiliary heads of googlenet and inception_v3 do not run, so their
  layers are not listed (they are in params and in the training figure below).
- `saved_bytes_train_96`: the bytes of activations autograd saves for backward, measured exactly as the
  project's oracle does (tests/test_memory_autograd.py, `autograd_saved`): parameters drawn from N(0, 0.1) and
  floating buffers set to 1 (nothing NaN); model.train(); the untyped storages of parameters and buffers
  excluded; inside torch.autograd.graph.saved_tensors_hooks every packed tensor's untyped storage is counted
  once (by data_ptr, its nbytes); torch.manual_seed(0) right before `model(torch.randn(2, C, 96, 96))`; fp32,
  batch 2 (`saved_batch`), the shape in `saved_input_96` ([C, H, W]). A model that cannot run at 96x96 in
  training (inception_v3 with its auxiliary head) is measured at the smallest side that runs (found on the meta
  device, then measured on the CPU), recorded in saved_input_96 with `saved_note`. `saved_tensors`: how many
  distinct storages; `train_output_finite`: the training output had no NaN/inf.
- `model_card`: torchvision.models.get_model_weights(NAME).DEFAULT (no download: the enum's metadata):
  {member, num_params, _ops (GFLOPS as torchvision publishes them), _file_size (MB), crop_size};
  `model_card_members`: the same for every member of the enum. torchvision computes _ops at the weights'
  crop size, which is not 224 for many (EfficientNet-B1..B7, EfficientNet-V2, SWAG RegNets, inception 299):
  `macs_conv_linear_at_card_input` is our MACs at the DEFAULT member's crop size (`card_input`), counted with
  the same FlopCounterMode on a copy of the model on the meta device (shapes only, same counts).

Built-in variants: googlenet and inception_v3 default to aux_logits=True when weights=None (the auxiliary
classifiers exist and run in train mode); they are recorded as built by default (`googlenet`,
`inception_v3`) and with aux_logits=False (`googlenet@aux_logits=False`, `inception_v3@aux_logits=False`).
transform_input (False for both when weights=None) is recorded as built.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "reference" / "torchvision.json"
CACHE = Path(os.environ.get("TV_REF_CACHE", "/tmp/tv-ref-cache"))
COMMAND = "/work/tv-venv/bin/python benchmarks/torchvision_reference.py"

BASE = [
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "googlenet", "googlenet@aux_logits=False", "inception_v3", "inception_v3@aux_logits=False",
    "squeezenet1_0", "squeezenet1_1",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    *[f"efficientnet_b{i}" for i in range(8)], "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
]
REGNET_ORDER = ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf"]


def all_keys() -> list[str]:
    import torchvision
    regnets = [m for m in torchvision.models.list_models(module=torchvision.models) if m.startswith("regnet_")]
    regnets.sort(key=lambda m: (m[:8], REGNET_ORDER.index(m[9:])))
    return BASE + regnets


def parse_key(key: str) -> tuple[str, dict[str, Any]]:
    name, _, rest = key.partition("@")
    kwargs: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        k, v = item.split("=")
        kwargs[k] = {"True": True, "False": False}.get(v, v)
    return name, kwargs


# --- one model (runs in its own process) ------------------------------------------------------------------

def measure(key: str) -> dict[str, Any]:
    import torch
    import torchvision
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(2)
    name, kwargs = parse_key(key)
    t0 = time.time()
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, **kwargs)
    rec: dict[str, Any] = {"builder": name, "kwargs": kwargs}
    if hasattr(model, "aux_logits"):
        rec["aux_logits"] = bool(model.aux_logits)
    if hasattr(model, "transform_input"):
        rec["transform_input"] = bool(model.transform_input)
    rec["params"] = sum(p.numel() for p in model.parameters())
    rec["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rec["buffers"] = sum(b.numel() for _, b in model.named_buffers())
    by_name: dict[str, int] = {}
    for n, b in model.named_buffers():
        by_name[n.rsplit(".", 1)[-1]] = by_name.get(n.rsplit(".", 1)[-1], 0) + b.numel()
    rec["buffer_tensors"] = dict(sorted(by_name.items()))
    side = 299 if name == "inception_v3" else 224
    rec["input"] = [3, side, side]

    # counts: eval, batch 1, FlopCounterMode + forward hooks
    names = {m: n for n, m in model.named_modules()}
    layers: list[dict[str, Any]] = []
    macs_hooks = [0]

    def hook(mod: nn.Module, inputs: tuple[Any, ...], out: torch.Tensor) -> None:
        shape = list(out.shape[1:])
        if isinstance(mod, nn.ConvTranspose2d):
            kind = "conv_transpose"
            kh, kw = mod.kernel_size
            macs_hooks[0] += inputs[0][0].numel() * (mod.out_channels // mod.groups) * kh * kw
        elif isinstance(mod, nn.Conv2d):
            kind = "conv"
            kh, kw = mod.kernel_size
            macs_hooks[0] += out[0].numel() * kh * kw * mod.in_channels // mod.groups
        else:
            kind = "linear"
            macs_hooks[0] += out[0].numel() * mod.in_features
        row: dict[str, Any] = {"module": names[mod], "kind": kind, "out": shape}
        if kind == "linear" and out.dim() == 4:
            row["channels_last"] = True
        layers.append(row)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.randn(1, 3, side, side))
    for h in handles:
        h.remove()
    by_op = {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}
    rec["flops_total"] = int(counter.get_total_flops())
    rec["flops_by_op"] = dict(sorted(by_op.items()))
    mm = sum(by_op.get(op, 0) for op in ("aten.convolution", "aten.addmm", "aten.mm", "aten.bmm"))
    assert mm % 2 == 0
    rec["macs_conv_linear"] = mm // 2
    rec["macs_hooks"] = macs_hooks[0]
    rec["macs_hooks_match"] = macs_hooks[0] == mm // 2
    rec["layers"] = layers
    rec["t_counts_s"] = round(time.time() - t0, 1)

    # model card
    weights = torchvision.models.get_model_weights(name)

    def card(w: Any) -> dict[str, Any]:
        c = {"member": w.name, "num_params": w.meta.get("num_params"), "_ops": w.meta.get("_ops")}
        if "_file_size" in w.meta:
            c["_file_size"] = w.meta["_file_size"]
        crop = getattr(w.transforms, "keywords", {}).get("crop_size")
        if crop is not None:
            c["crop_size"] = crop
        return c

    rec["model_card"] = card(weights.DEFAULT)
    rec["model_card_members"] = {w.name: card(w) for w in weights}
    crop = rec["model_card"].get("crop_size")
    if crop is not None:
        rec["card_input"] = [3, crop, crop]
        if crop == side:
            rec["macs_conv_linear_at_card_input"] = rec["macs_conv_linear"]
        else:
            rec["macs_conv_linear_at_card_input"] = meta_macs(model, crop)

    # saved activations: train, batch 2, 96x96 (the oracle of tests/test_memory_autograd.py)
    t1 = time.time()
    side96 = 96
    on_meta = meta_copy(model)
    if not meta_runs(on_meta, side96):
        side96 = next(s for s in range(97, 1025) if meta_runs(on_meta, s))
        rec["saved_note"] = f"does not run at 96x96 in train mode; measured at the smallest side that runs, {side96}"
    del on_meta
    saved, count, finite = autograd_saved(model, (3, side96, side96), 2)
    rec["saved_bytes_train_96"] = saved
    rec["saved_input_96"] = [3, side96, side96]
    rec["saved_batch"] = 2
    rec["saved_tensors"] = count
    rec["train_output_finite"] = finite
    rec["t_saved_s"] = round(time.time() - t1, 1)
    return rec


def meta_copy(model: Any) -> Any:
    import copy
    return copy.deepcopy(model).to("meta")


def meta_macs(model: Any, side: int) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    m = meta_copy(model).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        m(torch.empty(1, 3, side, side, device="meta"))
    by_op = {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}
    return sum(by_op.get(op, 0) for op in ("aten.convolution", "aten.addmm", "aten.mm", "aten.bmm")) // 2


def meta_runs(m: Any, side: int) -> bool:
    import torch
    m.train()
    try:
        with torch.no_grad():
            m(torch.empty(2, 3, side, side, device="meta"))
        return True
    except Exception:  # noqa: BLE001 - any shape error means "does not run"
        return False


def autograd_saved(net: Any, shape: tuple[int, ...], batch: int) -> tuple[int, int, bool]:
    """tests/test_memory_autograd.py's autograd_saved, on a torchvision model: (bytes, storages, finite)."""
    import torch
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
        for b in net.buffers():
            if b.dtype.is_floating_point:
                b.fill_(1.0)
    net.train()
    owned = {t.untyped_storage().data_ptr() for t in (*net.parameters(), *net.buffers())}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in owned:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    torch.manual_seed(0)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = net(torch.randn(batch, *shape))
    outs = [out] if isinstance(out, torch.Tensor) else [o for o in out if isinstance(o, torch.Tensor)]
    finite = all(bool(torch.isfinite(o).all()) for o in outs)
    return sum(seen.values()), len(seen), finite


# --- the driver ---------------------------------------------------------------------------------------------

def cache_file(key: str) -> Path:
    return CACHE / f"{key.replace('@', '__').replace('=', '-')}.json"


def write_json(keys: list[str]) -> int:
    import torch
    import torchvision
    models = {}
    for key in keys:
        f = cache_file(key)
        if f.exists():
            rec = json.loads(f.read_text())
            for k in ("t_counts_s", "t_saved_s"):
                rec.pop(k, None)
            models[key] = rec
    doc: dict[str, Any] = {"_provenance": {
        "torch": torch.__version__, "torchvision": torchvision.__version__, "python": sys.version.split()[0],
        "date": datetime.date.today().isoformat(), "command": COMMAND,
        "script": "benchmarks/torchvision_reference.py", "device": "cpu", "dtype": "fp32",
        "rerun": ["python3.11 -m venv /work/tv-venv", "/work/tv-venv/bin/pip install torch==2.14.1 torchvision==0.29.1",
                  COMMAND],
        "method": " ".join(("How each figure is obtained" + (__doc__ or "").split("How each figure is obtained")[-1])
                           .split()),
        "variants": {"googlenet": "default build: aux_logits=True (weights=None), transform_input=False",
                     "googlenet@aux_logits=False": "aux_logits=False",
                     "inception_v3": "default build: aux_logits=True (weights=None), transform_input=False",
                     "inception_v3@aux_logits=False": "aux_logits=False"},
        "missing": [k for k in keys if k not in models],
    }}
    doc.update(models)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dumps(doc), encoding="utf-8")
    return len(models)


def dumps(doc: dict[str, Any]) -> str:
    """Sorted keys, indent 1, but each `layers` row and each shape on one line (the file stays small)."""
    rows: list[str] = []

    def compact(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: compact(x) for k, x in v.items()}
        if isinstance(v, list) and (all(isinstance(x, int) for x in v) or all(isinstance(x, dict) for x in v)):
            if v and isinstance(v[0], dict):
                return [compact(x) for x in v]
            rows.append(json.dumps(v))
            return f"\0{len(rows) - 1}\0"
        return v

    def layer_rows(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ([one(r) for r in x] if k == "layers" else layer_rows(x)) for k, x in v.items()}
        return v

    def one(r: dict[str, Any]) -> str:
        rows.append(json.dumps(r, sort_keys=True))
        return f"\0{len(rows) - 1}\0"

    text = json.dumps(compact(layer_rows(doc)), sort_keys=True, indent=1)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: rows[int(m.group(1))], text) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("keys", nargs="*", help="models (default: all)")
    ap.add_argument("--force", action="store_true", help="recompute cached models")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # worker mode: measure one key into the cache
    args = ap.parse_args()
    if args.one:
        rec = measure(args.one)
        CACHE.mkdir(parents=True, exist_ok=True)
        cache_file(args.one).write_text(json.dumps(rec, sort_keys=True))
        return
    keys = all_keys()
    todo = args.keys or keys
    for key in todo:
        if cache_file(key).exists() and not args.force:
            continue
        t = time.time()
        r = subprocess.run([sys.executable, __file__, "--one", key], check=False, capture_output=True, text=True)
        status = "ok" if r.returncode == 0 else f"FAILED rc={r.returncode}: {r.stderr.strip()[-2000:]}"
        print(f"{key}: {status} ({time.time() - t:.0f} s)", flush=True)
        write_json(keys)
    n = write_json(keys)
    print(f"wrote {OUT} ({n} of {len(keys)} models)")


if __name__ == "__main__":
    main()
