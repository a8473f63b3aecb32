#!/usr/bin/env bash
# api_security.sh — CSRF, injection, traversal, limits, slow loris, login limits, log hygiene,
# graceful stop (tests/integration/api/test_security.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_security.py"
