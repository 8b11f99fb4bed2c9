#!/usr/bin/env bash
# Runs every benchmark against the build in <build-dir> and prints the figures that
# docs/benchmarks.md records. Needs an otherwise idle machine for stable numbers.
set -euo pipefail
build=${1:-build/release}
echo "== pipeline (in-process, one core): $build/bench/pipeline_bench"
"$build/bench/pipeline_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo
echo "== through mosquitto on loopback: $build/bench/mqtt_loopback_bench"
"$build/bench/mqtt_loopback_bench" --messages 200000 --rate 10000 --seconds 10
echo
echo "== edge memory: $build/bench/edge_rss_bench"
"$build/bench/edge_rss_bench" --seconds 60 --strata "$build/bin/strata"
echo
echo "== OPC UA PublishResponse decoding (one core): $build/bench/opcua_bench"
"$build/bench/opcua_bench"
echo
echo "== OPC UA end to end, 5,000 items on node-opcua: $build/bench/opcua_e2e_bench"
"$build/bench/opcua_e2e_bench" --items 5000 --interval-ms 200 --seconds 20
echo
echo "== Modbus poll cycle, 2,000 registers on 10 devices: $build/bench/modbus_bench"
"$build/bench/modbus_bench" --seconds 5 --interval-ms 100
echo
echo "== TreeSHAP and inference, ours vs XGBoost C API and ONNX Runtime (one core): $build/bench/ml_bench"
"$build/bench/ml_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo
echo "== explained decisions, window complete -> decision stored: $build/bench/decision_bench"
"$build/bench/decision_bench" --assets 200 --seconds 600
"$build/bench/decision_bench" --assets 1000 --seconds 60 --rate 1
echo
echo "== hub: ingest vs bare insert (SQLite, PostgreSQL), 1M backlog catch-up, API p99 with wrk: $build/bench/hub_bench"
"$build/bench/hub_bench"
