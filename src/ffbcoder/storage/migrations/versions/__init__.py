"""Migration scripts, applied in order by ``ffbcoder db upgrade`` and on ``serve`` start."""
