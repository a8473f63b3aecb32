#!/usr/bin/env bash
# api_openapi.sh — docs/openapi.json matches the router, and the schema checker works
# (tests/integration/api/test_openapi.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_openapi.py"
