"""PPS: pure pipeline planning (specs, defaults, validation, datums, job plans)."""
