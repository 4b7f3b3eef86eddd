"""Five training steps of a 3-layer net on the cuda backend give the oracle's parameters
(float64, 1e-10): through nn_ref.network's per-layer API (everything stays on the device) and
through the fused ``train_step``."""
import pytest

import _kernel_cases as kc

DIMS, M = [4, 5, 6, 3], 7
pytestmark = pytest.mark.filterwarnings("ignore:Grid size .* will likely result in GPU under-utilization")


@pytest.mark.parametrize("config", kc.TRAIN_CONFIGS[:2] if kc.get_backend("cuda").SIM else kc.TRAIN_CONFIGS)
def test_five_steps_same_parameters_cuda(config):
    oracle = kc.train_layers("numpy", DIMS, M, config)
    kc.assert_same_training(kc.train_layers("cuda", DIMS, M, config), oracle, "cuda, per-layer API")
    kc.assert_same_training(kc.train_fused("cuda", DIMS, M, config), oracle, "cuda, train_step")


def test_train_step_general_chain_rule_cuda():
    """The non-collapsed output (softmax with mse: cost_gradient then softmax_backward) in train_step."""
    config = kc.TRAIN_CONFIGS[3]
    kc.assert_same_training(kc.train_fused("cuda", DIMS, M, config, steps=2),
                            kc.train_fused("numpy", DIMS, M, config, steps=2), "cuda, train_step")
