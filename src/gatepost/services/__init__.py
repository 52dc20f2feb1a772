"""Use cases: the only layer that combines store, security and domain."""
