"""ffbcoder: suggests FFB tilstande and indsatser for Danish children's case notes."""

__version__ = "0.1.0"
