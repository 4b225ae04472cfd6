//! Per-buffer operations.
