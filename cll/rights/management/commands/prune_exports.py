from cll.privacy.retention import PruneCommand


class Command(PruneCommand):
    rule = "data-export"
    noun = "exports"
