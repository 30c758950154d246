"""Test support shipped with the package, so installed builds are testable."""
