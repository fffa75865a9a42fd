"""A receipt printer on TCP 9100 that keeps what it was sent: the demo prints to it, the tests
decode what it caught. One job per connection, as a raw-port printer takes them. It answers the
real-time status query (DLE EOT n) from `status`, as a printer does the moment it is asked;
a connection that only asked (the gate found the paper out) prints nothing."""
from __future__ import annotations

import socket
import threading
from collections import deque

from hardware.printer.status import DLE_EOT, OFFLINE, PAPER, PrinterStatus, encode


class PrinterSimulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, keep: int = 100) -> None:
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.host, self.port = host, int(self._server.getsockname()[1])
        self.jobs: deque[bytes] = deque(maxlen=keep)   # newest `keep` jobs (~1.3 kB each): a soak stays flat
        self.offline = False       # True: connections are refused (a printer switched off)
        self.status = PrinterStatus()   # what it answers to DLE EOT: paper, cover
        self.answers_status = True      # False: a raw-port adapter that swallows the query
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="printer-sim", daemon=True)

    def start(self) -> "PrinterSimulator":
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            if self.offline:
                conn.close()
                continue
            with conn:
                self._take(conn)

    def _take(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        job, looked = bytearray(), 0
        try:
            while chunk := conn.recv(65536):
                job += chunk
                looked = self._answer(conn, job, looked)
        except OSError:
            pass   # a sender that went away: keep what came, as a printer would print it
        if not job.replace(DLE_EOT + bytes([OFFLINE]), b"").replace(DLE_EOT + bytes([PAPER]), b""):
            return   # asked its status, sent nothing to print
        with self._done:
            self.jobs.append(bytes(job))
            self._done.notify_all()

    def _answer(self, conn: socket.socket, job: bytearray, looked: int) -> int:
        """Answer each DLE EOT n that arrived since `looked`; returns how far it has looked."""
        answers = dict(zip((OFFLINE, PAPER), encode(self.status)))
        while (at := job.find(DLE_EOT, looked)) != -1 and at + 2 < len(job):
            if self.answers_status and job[at + 2] in answers:
                conn.sendall(bytes([answers[job[at + 2]]]))
            looked = at + 3
        return looked

    def wait_jobs(self, count: int, timeout_s: float = 5.0) -> list[bytes]:
        """The jobs caught so far, once there are at least `count` (or the timeout passed)."""
        with self._done:
            self._done.wait_for(lambda: len(self.jobs) >= count, timeout=timeout_s)
            return list(self.jobs)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()
