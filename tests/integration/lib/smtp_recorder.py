#!/usr/bin/python3
"""A real SMTP server (Debian's python3-aiosmtpd) that records what it accepts.

Every accepted message is written to DIR as NNNN.eml (the bytes as received) with
NNNN.json beside it (the envelope: mail_from, rcpt_tos). The file DIR/mode, read at each
end of DATA, decides the answer, so a test can change it between runs:

  normal      250, recorded (the default)
  451         451 4.3.0: not accepted, try again later (nothing recorded)
  554         554 5.7.1: refused for good (nothing recorded)
  drop        recorded, then the connection is closed without an answer
  drop-sent   recorded and filed in the IMAP Sent folder (--imap-*), as providers that
              keep a copy of submitted mail do, then closed without an answer
  slow-sent   recorded and filed in the Sent folder, then 250 only after 5 seconds (a
              test kills the sender while it waits)

With SMTP_AUTH_USER and SMTP_AUTH_PASSWORD in the environment the server offers AUTH
PLAIN/LOGIN without TLS (loopback only), refuses mail before a login, accepts only that
login, and records it in the envelope file as "auth_login".
"""
import argparse
import asyncio
import imaplib
import json
import os
import signal
import time

from aiosmtpd.smtp import SMTP, AuthResult


class Recorder:
    def __init__(self, args):
        self.dir = args.dir
        self.args = args

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode")) as f:
                return f.read().strip() or "normal"
        except FileNotFoundError:
            return "normal"

    def record(self, envelope):
        n = len([f for f in os.listdir(self.dir) if f.endswith(".eml")]) + 1
        base = os.path.join(self.dir, "%04d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "auth_login": self.login}, f)

    def file_in_sent(self, envelope):
        a = self.args
        imap = imaplib.IMAP4("127.0.0.1", a.imap_port)
        imap.login(a.imap_user, os.environ[a.imap_password_env])
        imap.append(a.sent_folder, None, imaplib.Time2Internaldate(time.time()),
                    envelope.original_content)
        imap.logout()

    async def handle_DATA(self, server, session, envelope):
        self.login = None
        if session.auth_data is not None:
            self.login = session.auth_data.login.decode()
        mode = self.mode()
        if mode == "451":
            return "451 4.3.0 Temporary local problem, try again later"
        if mode == "554":
            return "554 5.7.1 Message refused by policy"
        self.record(envelope)
        if mode in ("drop-sent", "slow-sent"):
            self.file_in_sent(envelope)
        if mode in ("drop", "drop-sent"):
            server.transport.abort()
        if mode == "slow-sent":
            await asyncio.sleep(5)
        return "250 2.0.0 OK queued"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--imap-port", type=int)
    p.add_argument("--imap-user")
    p.add_argument("--imap-password-env", default="MAIL_PASSWORD")
    p.add_argument("--sent-folder", default="Sent")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Recorder(args)
    auth = {}
    user, password = os.environ.get("SMTP_AUTH_USER"), os.environ.get("SMTP_AUTH_PASSWORD")
    if user and password:
        def check(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
        auth = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, decode_data=False, hostname="recorder.test", **auth),
        "127.0.0.1", args.port))
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
