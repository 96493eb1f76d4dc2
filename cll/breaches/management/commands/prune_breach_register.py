from cll.privacy.retention import PruneCommand


class Command(PruneCommand):
    rule = "breach-register"
    noun = "breaches"
