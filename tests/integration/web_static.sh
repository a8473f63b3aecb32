#!/usr/bin/env bash
# web_static.sh — the web UI's files as `borderdesk serve` serves them: content types,
# caching, the Content-Security-Policy, no way out of the file table; and the UI's code and
# strings checked statically (tests/integration/api/test_web.py).
exec python3 "${BD_SOURCE_DIR:?}/tests/integration/api/test_web.py"
