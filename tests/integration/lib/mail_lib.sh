# lib/mail_lib.sh — shared by the mail integration tests (sourced; CMake runs only
# tests/integration/*.sh, so this file is no test of its own).
#
# Real servers on loopback, each on a free port and always stopped by the EXIT trap:
#   start_dovecot   Dovecot IMAP (Debian dovecot-imapd) with its own configuration under
#                   $WORK, maildirs under $WORK/mail, one test user from a passwd-file,
#                   plaintext logins on loopback. Runs as the current user; as root (CI)
#                   the mail processes run as nobody, because Dovecot refuses root mail.
#   start_smtp      the SMTP recorder (lib/smtp_recorder.py on Debian's python3-aiosmtpd):
#                   every message it accepts is a file under $SMTP_DIR; the file
#                   $SMTP_DIR/mode makes it answer 451 or 554 or drop the connection.
# Helpers: imap_append FOLDER FILE, imap_create/delete FOLDER, imap_uids FOLDER.
set -euo pipefail
: "${BD_BINARY:?BD_BINARY must point at the borderdesk binary}"
: "${BD_SOURCE_DIR:?BD_SOURCE_DIR must point at the source tree}"
BD="$BD_BINARY"
# Debian's interpreter: aiosmtpd is a Debian package, a pyenv python3 would not see it.
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 missing (run scripts/setup)" >&2; exit 1; }
LIB="$BD_SOURCE_DIR/tests/integration/lib"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bdmail.XXXXXX")"
MAIL_PIDS=()
MAIL_USER=shopbox
MAIL_PASSWORD="pw-$RANDOM$RANDOM"
export MAIL_USER MAIL_PASSWORD

mail_cleanup() {
    local rc=$?
    set +e
    for p in "${MAIL_PIDS[@]:-}"; do
        [ -n "$p" ] && { kill "$p"; wait "$p"; } 2>/dev/null
    done
    if [ $rc -ne 0 ]; then
        echo "--- dovecot log (tail) ---" >&2
        tail -15 "$WORK"/dovecot/dovecot.log 2>/dev/null >&2
        echo "--- smtp recorder log (tail) ---" >&2
        tail -15 "$WORK"/smtp.log 2>/dev/null >&2
    fi
    rm -rf "$WORK"
    exit $rc
}
trap mail_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_dovecot: sets IMAP_PORT and IMAP_BASE (imap://127.0.0.1:PORT).
start_dovecot() {
    local dir="$WORK/dovecot" me uid gid
    command -v /usr/sbin/dovecot >/dev/null || fail "dovecot is not installed (run scripts/setup)"
    mkdir -p "$dir/base" "$dir/state" "$WORK/mail"
    me=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        uid=$(id -u nobody); gid=$(id -g nobody)
        chown "$uid:$gid" "$WORK/mail"
        chmod 711 "$WORK"
        internal=dovecot; login=dovenull
    else
        uid=$(id -u); gid=$(id -g)
        internal=$me; login=$me
    fi
    printf '%s:{PLAIN}%s:%s:%s::%s\n' "$MAIL_USER" "$MAIL_PASSWORD" "$uid" "$gid" "$WORK/mail/$MAIL_USER" >"$dir/passwd"
    chmod 644 "$dir/passwd"
    for attempt in 1 2 3 4 5; do
        IMAP_PORT=$(free_port)
        cat >"$dir/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/base
state_dir = $dir/state
instance_name = bdtest-$$
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $internal
default_internal_group = $(id -gn "$internal")
default_login_user = $login
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_privileged_group =
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
        /usr/sbin/dovecot -F -c "$dir/dovecot.conf" >>"$dir/stdout.log" 2>&1 &
        MAIL_PIDS+=($!)
        for _ in $(seq 1 100); do
            if curl -s --max-time 2 "imap://127.0.0.1:$IMAP_PORT/" -u "$MAIL_USER:$MAIL_PASSWORD" >/dev/null 2>&1; then
                IMAP_BASE="imap://127.0.0.1:$IMAP_PORT"
                return 0
            fi
            kill -0 "${MAIL_PIDS[-1]}" 2>/dev/null || break
            sleep 0.05
        done
        { kill "${MAIL_PIDS[-1]}"; wait "${MAIL_PIDS[-1]}"; } 2>/dev/null || true
        unset 'MAIL_PIDS[-1]'
    done
    cat "$dir/stdout.log" "$dir/dovecot.log" >&2 2>/dev/null || true
    fail "dovecot did not start"
}

imap() { # imap PATH-AND-QUERY [curl options...]
    local path=$1; shift
    curl -sS --max-time 20 -u "$MAIL_USER:$MAIL_PASSWORD" "$IMAP_BASE/$path" "$@"
}
imap_create() { imap "" -X "CREATE $1" >/dev/null; }
imap_delete() { imap "" -X "DELETE $1" >/dev/null; }
# imap_append FOLDER FILE...: the files' bytes as they are, unread (no \Seen flag: curl's
# own upload would set it)
imap_append() {
    "$PY" - "$IMAP_PORT" "$@" <<'PY'
import imaplib, os, sys
imap = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
imap.login(os.environ["MAIL_USER"], os.environ["MAIL_PASSWORD"])
for path in sys.argv[3:]:
    typ, data = imap.append(sys.argv[2], None, None, open(path, "rb").read())
    if typ != "OK":
        sys.exit("APPEND %s: %s" % (path, data))
imap.logout()
PY
}
# imap_uids FOLDER: the folder's UIDs, one per line
imap_uids() {
    imap "$1" -X "UID SEARCH ALL" | tr -d '\r' | sed -n 's/^\* SEARCH//p' | tr ' ' '\n' | sed '/^$/d'
}
# imap_uidvalidity FOLDER
imap_uidvalidity() {
    imap "" -X "EXAMINE $1" | tr -d '\r' | sed -n 's/.*UIDVALIDITY \([0-9]*\).*/\1/p'
}

# start_smtp [PORT]: sets SMTP_PORT, SMTP_URL and SMTP_DIR (the recorded messages).
start_smtp() {
    SMTP_DIR="$WORK/smtp"
    mkdir -p "$SMTP_DIR"
    rm -f "$WORK/smtp.port"
    "$PY" "$LIB/smtp_recorder.py" --dir "$SMTP_DIR" --port "${1:-0}" --port-file "$WORK/smtp.port" \
        --imap-port "${IMAP_PORT:-0}" --imap-user "$MAIL_USER" >>"$WORK/smtp.log" 2>&1 &
    SMTP_PID=$!
    MAIL_PIDS+=("$SMTP_PID")
    for _ in $(seq 1 200); do
        [ -s "$WORK/smtp.port" ] && break
        kill -0 "$SMTP_PID" 2>/dev/null || fail "smtp recorder did not start: $(cat "$WORK/smtp.log")"
        sleep 0.05
    done
    [ -s "$WORK/smtp.port" ] || fail "smtp recorder did not report its port"
    SMTP_PORT=$(cat "$WORK/smtp.port")
    SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
}

# stop_smtp: stops the recorder (connections are then refused until start_smtp)
stop_smtp() {
    local i
    for i in "${!MAIL_PIDS[@]}"; do
        if [ "${MAIL_PIDS[$i]}" = "$SMTP_PID" ]; then
            { kill "$SMTP_PID"; wait "$SMTP_PID"; } 2>/dev/null || true
            unset "MAIL_PIDS[$i]"
        fi
    done
}

# smtp_mode normal|451|554|drop|drop-sent: how the recorder answers the end of DATA
smtp_mode() { printf '%s\n' "$1" >"$SMTP_DIR/mode"; }
# smtp_count: messages the recorder accepted
smtp_count() { find "$SMTP_DIR" -name '*.eml' | wc -l; }

count() { "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; }
