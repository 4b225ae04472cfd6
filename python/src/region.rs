//! ROI helpers.
