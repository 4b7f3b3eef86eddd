"""Five training steps of a 3-layer net give the same parameters on every backend (float64, 1e-10),
through nn_ref.network's per-layer API and through the fused ``train_step``. The cuda backend's
share of this runs in the simulator process (tests/cuda/test_sim_train.py, started by
tests/test_kernels_cuda.py)."""

import _kernel_cases as kc
import pytest

DIMS, M = [7, 17, 15, 3], 33


@pytest.mark.parametrize("config", kc.TRAIN_CONFIGS)
def test_five_steps_same_parameters_numpy_cpu(config):
    oracle = kc.train_layers("numpy", DIMS, M, config)
    kc.assert_same_training(kc.train_layers("cpu", DIMS, M, config), oracle, "cpu, per-layer API")
    kc.assert_same_training(kc.train_fused("numpy", DIMS, M, config), oracle, "numpy, train_step")
    kc.assert_same_training(kc.train_fused("cpu", DIMS, M, config), oracle, "cpu, train_step")
