"""An import's new fravær sent to the server in batches while the rows after them are checked
(PgStore.change_many(stream=True)): the server's share of a big import runs beside the check."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fravaer_cli.domain.model import Fravaer
from fravaer_cli.store.base import Change, Changes
from fravaer_cli.store.postgres.rows import request_rows


class Streaming(Changes):
    """An import's changes, whose new fravær (with their log entries, made by the server)
    go to the server in batches, by a thread of their own, while the import checks the
    rows after them. The server's share of a big import then runs beside the check instead
    of after it, on the other core. It is all the one transaction:
    committed with the rest, or rolled back with it."""

    BATCH = 5000  # fravær a batch: few statements
    FIRST_BATCH = 1000  # and a small first one, so that the server starts early
    SWITCH_INTERVAL = 0.0005  # seconds (see sending())

    def __init__(self, changes: dict[str, Change], conn: Any, on_behalf_of: str | None) -> None:
        super().__init__(changes)
        self.conn, self.on_behalf_of = conn, on_behalf_of
        self.sent: dict[str, int] = {}  # orgnr -> how many of its log entries are written
        self.batch: list[tuple[str, Fravaer]] = []
        self.sent_batches = 0
        self.handling = ""
        self.error: BaseException | None = None  # the sender's, raised in the caller's thread
        self.abandoned = False
        self.queue: Any = None

    def send(self, orgnr: str, fravaer: Fravaer, handling: str) -> None:
        """Record that the domain added fravaer to the office, and send both to the server."""
        change = self[orgnr]
        change.record(handling, fravaer)
        self.sent[orgnr] = len(change.entries)
        if handling != self.handling:
            self._flush()
            self.handling = handling
        self.batch.append((orgnr, fravaer))
        if len(self.batch) >= (self.BATCH if self.sent_batches else self.FIRST_BATCH):
            self._flush()

    def _flush(self) -> None:
        if self.error is not None:
            raise self.error  # the server said no: no need to check the rest
        if self.batch:
            # Made ready here, so that the sender's thread only waits for the server, which
            # then has the next batch at once.
            self.queue.put((request_rows(self.batch), self.handling))
            self.batch = []
            self.sent_batches += 1

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while (batch := self.queue.get()) is not None:
                if self.error is None and not self.abandoned:
                    rows, handling = batch
                    try:
                        rows.send(cur)
                        cur.execute("SELECT fravaer_api.skriv_rader(%s, %s)", (handling, self.on_behalf_of))
                    except BaseException as e:
                        self.error = e

    @contextmanager
    def sending(self) -> Iterator["Streaming"]:
        """The sender, for as long as the caller adds; then what is left is sent, and waited for."""
        import queue
        import sys
        import threading

        self.queue = queue.Queue()
        thread = threading.Thread(target=self._run, name="fravaer-sender", daemon=True)
        # Each answer from the server wakes the sender, which then waits for Python's lock while the
        # check runs: up to a switch interval (5 ms), four times a batch, with the server idle. A
        # shorter interval while the two threads run keeps the server fed.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, self.SWITCH_INTERVAL))
        thread.start()
        try:
            yield self
            self._flush()
        except BaseException:
            self.abandoned = True  # what is still queued is not sent: all is rolled back
            raise
        finally:
            self.queue.put(None)
            thread.join()
            sys.setswitchinterval(interval)
        if self.error is not None:
            raise self.error
