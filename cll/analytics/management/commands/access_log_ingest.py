import signal
import time

from django.core.management.base import BaseCommand, CommandError

from cll.analytics import spool

# How soon a signal ends the wait between passes.
TICK_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Ingest the access-log spool (the files the web workers write, ACCESS_LOG_SPOOL_DIR) into "
        "the database: one pass by default, or every SECONDS with --watch until SIGINT/SIGTERM "
        "(the current pass finishes first). The task worker does the same every minute "
        "(cll.analytics.tasks.access_log_ingest); one ingester at a time, the other passes. "
        "-v 2 prints the rows written per pass."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--watch",
            type=float,
            metavar="SECONDS",
            help="pass again every SECONDS until interrupted",
        )

    def handle(self, *args, watch=None, verbosity=1, **options):
        if watch is None:
            self.one_pass(verbosity)
            return
        if watch <= 0:
            raise CommandError("--watch: SECONDS must be positive")
        stopping = False

        def interrupted(signum, frame):
            # Only a flag: a pass is never cut in the middle (its transaction would be, and
            # the file ingested again next time is what the segment names guard against).
            nonlocal stopping
            stopping = True

        previous = {
            signum: signal.signal(signum, interrupted) for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not stopping:
                try:
                    self.one_pass(verbosity)
                except Exception:
                    # The database may be away for a while: the files wait, the loop goes on.
                    spool.logger.exception("access log: ingest pass failed")
                deadline = time.monotonic() + watch
                while not stopping and (left := deadline - time.monotonic()) > 0:
                    time.sleep(min(left, TICK_SECONDS))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def one_pass(self, verbosity: int) -> None:
        written = spool.ingest()
        if verbosity >= 2:
            self.stdout.write(f"{written} access-log row(s) ingested")
