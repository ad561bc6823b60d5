"""Deterministic synthetic stand-ins written in exactly the real files' formats."""
