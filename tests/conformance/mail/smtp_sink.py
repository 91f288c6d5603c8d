"""A local SMTP sink: accepts every message on loopback and keeps it, for the conformance
suite and the demo (scripts/demo-up.sh). Nothing is relayed anywhere.

    python smtp_sink.py --port 2525 --dir target/demo/mail

Each message is written to <dir>/<n>.eml (written aside, then renamed, so a reader never sees
half a file), and one line per message goes to <dir>/mail.log: time, envelope sender and
recipients, subject. Runs until SIGTERM or SIGINT. Built on aiosmtpd (pinned in
tests/conformance/requirements.txt).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import pathlib
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, directory: pathlib.Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        start = max((int(p.stem) for p in self.dir.glob("*.eml") if p.stem.isdigit()), default=0)
        self.numbers = itertools.count(start + 1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            n = next(self.numbers)
        final = self.dir / f"{n:05d}.eml"
        tmp = self.dir / f".{n:05d}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, final)
        msg = email.message_from_bytes(final.read_bytes(), policy=email.policy.default)
        line = (f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {final.name} "
                f"from={envelope.mail_from} to={','.join(envelope.rcpt_tos)} "
                f"subject={str(msg.get('Subject', ''))!r}\n")
        with open(self.dir / "mail.log", "a", encoding="utf-8") as log:
            log.write(line)
        return "250 Message accepted"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", type=pathlib.Path, required=True)
    a = ap.parse_args()
    controller = Controller(Keep(a.dir), hostname=a.host, port=a.port)
    controller.start()
    print(f"smtp sink listening on {a.host}:{a.port}, keeping messages in {a.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
