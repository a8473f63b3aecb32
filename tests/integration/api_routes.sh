#!/usr/bin/env bash
# api_routes.sh — every REST route over real HTTP (tests/integration/api/test_routes.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_routes.py"
