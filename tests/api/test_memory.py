"""The allocator settings the review service relies on take effect on this (glibc) system."""

from __future__ import annotations

import platform

import pytest

from ffbcoder.api.memory import limit_malloc_arenas, trim_malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_accepts_the_settings() -> None:
    assert limit_malloc_arenas(8)  # this test process may keep more arenas than the service
    assert trim_malloc()
