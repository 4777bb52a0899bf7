"""What differs between the conditions of an original and its replay, as a verdict words it."""

from __future__ import annotations

from jupyter_exp.reproduce.context import conditions, differences


def environment(gpu: str, torch: str, driver: str = "550.54") -> dict:
    return {
        "gpu": {"gpus": [{"name": gpu}], "driver": driver, "torch_cuda_build": "12.4", "cudnn": 90100},
        "packages": {"torch": torch, "numpy": "2.4.6", "mlflow": "3.0"},
    }


def test_a_different_gpu_model_driver_and_library_are_said() -> None:
    tags = {"jupyter_exp.device": "cuda:0 (NVIDIA A100)", "jupyter_exp.determinism": "cudnn.benchmark=false"}
    original = conditions(environment("NVIDIA A100", "2.12.0"), tags)
    replay = conditions(
        environment("NVIDIA H200", "2.13.0", "560.1"), {**tags, "jupyter_exp.device": "cuda:0 (NVIDIA H200)"}
    )
    assert differences(original, replay) == [
        "on a different GPU model (NVIDIA A100 → NVIDIA H200)",
        "with another GPU driver (550.54 → 560.1)",
        "with other library versions (torch 2.12.0 → 2.13.0)",  # mlflow is not a compute library
    ]
    assert differences(original, original) == []


def test_another_device_and_unrecorded_conditions() -> None:
    gpu = conditions(environment("NVIDIA A100", "2.13.0"), {"jupyter_exp.device": "cuda:0 (NVIDIA A100)"})
    cpu = conditions({"packages": {"torch": "2.13.0", "numpy": "2.4.6"}}, {"jupyter_exp.device": "cpu"})
    assert differences(gpu, cpu) == ["on another device (cuda:0 (NVIDIA A100) → cpu)"]
    assert differences(conditions(None, {}), cpu) == []  # an old record: nothing to compare with
