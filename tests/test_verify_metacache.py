"""verify's meta-kernel cache (cnncalc/verify/metacache.py) changes no measurement: on the meta device, where it
answers repeated questions from torch's first answer, torch's measured shapes, params, buffers and MACs per row
equal those of a real forward pass on the CPU, where no cache runs; and the cache itself answers as torch does."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cnncalc import load_spec  # noqa: E402
from cnncalc.verify import verify  # noqa: E402
from cnncalc.verify.metacache import MetaKernelCache  # noqa: E402


@pytest.mark.parametrize("name", ["resnet18", "densenet121", "efficientnet_b0", "convnext_tiny",
                                  "mobilenet_v3_small", "shufflenet_v2_x1_0"])
def test_meta_with_the_cache_measures_what_the_cpu_measures(name: str) -> None:
    spec = load_spec(name)
    shape = (spec.input[0], 64, 64)
    meta, cpu = (verify(spec, input_shape=shape, device=d) for d in ("meta", "cpu"))
    assert [(r.name, r.measured) for r in meta.rows] == [(r.name, r.measured) for r in cpu.rows]
    assert meta.measured == cpu.measured
    assert all(r.match for r in meta.rows)


def test_the_cache_answers_as_torch_does() -> None:
    x = torch.empty(2, 3, 8, 8, device="meta")
    w = torch.empty(4, 3, 3, 3, device="meta")
    plain = [torch.nn.functional.conv2d(x, w, padding=1), torch.relu(x), x.sum(dim=(2, 3))]
    with MetaKernelCache() as cache:
        for _ in range(3):
            again = [torch.nn.functional.conv2d(x, w, padding=1), torch.relu(x), x.sum(dim=(2, 3))]
            assert [(t.shape, t.stride(), t.dtype) for t in again] == [(t.shape, t.stride(), t.dtype) for t in plain]
        view = x[:, 1]  # a view: never cached, and an in-place op on it keeps the view's own strides
        assert view.add_(1).stride() == x[:, 1].stride() and view.shape == (2, 8, 8)
        assert x.transpose(1, 2).shape == (2, 8, 3, 8)
    assert cache.hits > 0 and cache.misses > 0
