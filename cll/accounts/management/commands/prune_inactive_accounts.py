from cll.privacy.retention import PruneCommand


class Command(PruneCommand):
    rule = "inactive-account"
    noun = "inactive accounts erased"
