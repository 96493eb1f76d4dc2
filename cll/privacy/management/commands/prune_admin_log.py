from cll.privacy.retention import PruneCommand


class Command(PruneCommand):
    rule = "admin-log"
    noun = "admin log entries"
