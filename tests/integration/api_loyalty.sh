#!/usr/bin/env bash
# api_loyalty.sh — survey invitations, the public survey routes, buyers' loyalty, satisfaction
# and blacklist, the satisfaction and tiers reports (tests/integration/api/test_loyalty_api.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_loyalty_api.py"
