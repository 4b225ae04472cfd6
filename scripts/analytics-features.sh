#!/usr/bin/env bash
# Prints the cargo feature that matches the GStreamer at build time, for
# `cargo build --features "$(bash scripts/analytics-features.sh)"`:
# `analytics-v1_26` (oriented object-detection records) with GstAnalytics >= 1.26,
# `analytics` with GstAnalytics 1.24, nothing without it (GStreamer 1.22: the
# build and behaviour stay those without GstAnalytics).
set -euo pipefail
if pkg-config --exists 'gstreamer-analytics-1.0 >= 1.26'; then
  echo analytics-v1_26
elif pkg-config --exists 'gstreamer-analytics-1.0 >= 1.24'; then
  echo analytics
fi
