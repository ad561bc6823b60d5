"""Which torch device the torch-heavy stages use (issue 21, item 7): config key ``device``.

``auto`` picks the first CUDA GPU when torch sees one, else the CPU; ``cpu`` always the CPU;
``cuda`` (or ``cuda:<n>``) a GPU, and a run asking for one where torch sees none stops before any
job, naming the key (:func:`check_device`, called while the configuration is validated). A job
script calls :func:`set_default_device` once; the torch recommenders (AutoRec, CF-NADE) then use
that device unless given one, and the exposure-game finder and the MoE take it explicitly. On the
CPU results are what they were; on a GPU they agree to floating-point tolerance, not bit for bit.
"""

from __future__ import annotations

import re

SETTINGS = ("auto", "cpu", "cuda")
_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?")
_default = "cpu"


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_device(setting: str, key: str = "device") -> str | None:
    """None if ``setting`` can be used here, else why not (naming ``key``)."""
    if not isinstance(setting, str) or not _PATTERN.fullmatch(setting):
        return f"{setting!r} is not one of auto, cpu, cuda, cuda:<n>"
    if setting.startswith("cuda"):
        count = _cuda_count()
        index = int(setting.split(":")[1]) if ":" in setting else 0
        if count == 0:
            import torch

            return (f"{setting!r} asks for a GPU but torch {torch.__version__} sees no CUDA device here "
                    f"(a CPU-only build, or no GPU); use {key}: auto or cpu")
        if index >= count:
            return f"{setting!r} asks for GPU {index} but torch sees {count}"
    return None


def resolve_device(setting: str, key: str = "device") -> str:
    """The torch device string for a ``device`` setting (``auto`` resolved); ValueError naming
    ``key`` if it cannot be used here."""
    problem = check_device(setting, key)
    if problem is not None:
        raise ValueError(f"config key '{key}': {problem}")
    if setting == "auto":
        return "cuda" if _cuda_count() else "cpu"
    return setting


def set_default_device(setting: str, key: str = "device") -> str:
    """Resolve ``setting`` and make it the device of torch stages not given one; returns it."""
    global _default
    _default = resolve_device(setting, key)
    return _default


def default_device() -> str:
    """The device set by :func:`set_default_device` (``"cpu"`` unless set)."""
    return _default
