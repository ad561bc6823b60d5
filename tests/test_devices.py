"""The `device` key: auto | cpu | cuda, checked before any job; torch recommenders follow it."""

import pytest
import torch

from conftest import run_snakemake
from recdyn.devices import check_device, default_device, resolve_device, set_default_device
from recdyn.recommenders import make_recommender


def test_settings_and_their_resolution():
    assert check_device("cpu") is None and check_device("auto") is None
    assert "not one of" in check_device("gpu")
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_refused_naming_the_key():
    assert "sees no CUDA device" in check_device("cuda")
    with pytest.raises(ValueError, match="config key 'device'"):
        resolve_device("cuda")


def test_torch_recommenders_follow_the_default_device():
    try:
        set_default_device("cpu")
        assert default_device() == "cpu"
        assert make_recommender("autorec").device == torch.device("cpu")
        assert make_recommender("cfnade", device="cpu").device.type == "cpu"
    finally:
        set_default_device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_run_asking_for_cuda_without_one_stops_before_any_job(tmp_path):
    result = run_snakemake("-n", "figures", "--config", "preset=smoke", "device=cuda", workdir=tmp_path)
    assert result.returncode != 0
    assert "config key 'device'" in result.stderr and "no CUDA device" in result.stderr
    assert "Building DAG" not in result.stdout + result.stderr
