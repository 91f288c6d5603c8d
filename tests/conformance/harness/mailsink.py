"""The SMTP sink (mail/smtp_sink.py) as the suite drives it: started and stopped by the cases
(to take the mail server down during a check-in), and read back as parsed messages."""

from __future__ import annotations

import email
import email.policy
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "mail" / "smtp_sink.py"


class MailSink:
    def __init__(self, port: int, directory: pathlib.Path, log: pathlib.Path):
        self.port = port
        self.dir = directory
        self.log = log
        self.proc: subprocess.Popen | None = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(64).startswith(b"220")
        except OSError:
            return False

    def start(self, timeout: float = 20) -> None:
        if self._answers():
            raise RuntimeError(f"something already listens on 127.0.0.1:{self.port}")
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(SCRIPT), "--port", str(self.port), "--dir", str(self.dir)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP sink did not start (log: {self.log})")
            time.sleep(0.1)

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + timeout
        while self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink still answers after it was stopped")
            time.sleep(0.1)

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.dir.glob("*.eml"))]

    def wait_for(self, what: str, match, timeout: float) -> email.message.EmailMessage:
        """The first message `match(msg)` accepts, polling until `timeout` seconds passed."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages():
                if match(m):
                    return m
            if time.monotonic() > deadline:
                got = [str(m.get("Subject")) for m in self.messages()]
                raise AssertionError(f"no message {what} within {timeout}s; the sink has {got}")
            time.sleep(0.25)


def body_text(m: email.message.EmailMessage) -> str:
    part = m.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def body_html(m: email.message.EmailMessage) -> str:
    part = m.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""
