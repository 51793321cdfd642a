"""Tools for people who test packs: pack-test runner, pytest plugin, strategies, invariants."""
