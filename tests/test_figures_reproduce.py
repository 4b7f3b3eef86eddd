"""The committed plots/MANIFEST.json reproduces: recomputing figures at full size (the registered
parameters, NumPy backend, one BLAS thread) gives every key number to 1e-6 relative
(``make.compare_numbers``, the same comparison as ``nn-ref figures --check``).

Recomputed here at full size: every figure but two (clr_table's 20 training runs included; about 25 s
of CPU). Left out: batchnorm and lr_decay_vs_batch_increase (10 training runs each, about 40 s of CPU
together), which ``nn-ref figures --check`` covers; they run in quick mode in their own tests.
"""

import json
import os

import pytest

from nn_ref.figures import FIGURES, make

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(REPO, "plots", "MANIFEST.json")
HEAVY = ("batchnorm", "lr_decay_vs_batch_increase")
FULL_SIZE = [fig_id for fig_id in FIGURES if fig_id not in HEAVY]


@pytest.fixture(scope="module")
def committed():
    if not os.path.exists(MANIFEST):
        pytest.skip("no plots/MANIFEST.json in this checkout")
    with open(MANIFEST, encoding="utf-8") as fh:
        return {entry["id"]: entry for entry in json.load(fh)["figures"]}


def test_manifest_covers_every_figure(committed):
    assert sorted(committed) == sorted(FIGURES)
    assert len(FULL_SIZE) == len(FIGURES) - len(HEAVY) and set(HEAVY) <= set(FIGURES)


@pytest.mark.parametrize("fig_id", FULL_SIZE)
def test_key_numbers_reproduce_at_full_size(committed, fig_id):
    _, data = FIGURES[fig_id].run(quick=False)
    fresh = make.round_numbers(json.loads(json.dumps(make.to_jsonable(data["key_numbers"]))))
    moved = make.compare_numbers(committed[fig_id]["key_numbers"], fresh, rtol=make.RTOL)
    assert moved == [], f"{fig_id}: key numbers moved beyond {make.RTOL:g}: {moved[:5]}"
