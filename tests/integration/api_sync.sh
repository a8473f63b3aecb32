#!/usr/bin/env bash
# api_sync.sh — sync status and requested runs through the REST API against the marketplace
# simulator, tiers after a sync (tests/integration/api/test_sync_api.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_sync_api.py"
