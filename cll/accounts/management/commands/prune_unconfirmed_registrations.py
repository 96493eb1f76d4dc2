from cll.privacy.retention import PruneCommand


class Command(PruneCommand):
    rule = "unconfirmed-registration"
    noun = "unconfirmed registrations erased"
