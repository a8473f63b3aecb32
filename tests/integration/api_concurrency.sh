#!/usr/bin/env bash
# api_concurrency.sh — concurrent replies and an import racing API readers and writers
# (tests/integration/api/test_concurrency.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_concurrency.py"
