from django.conf import settings


def organisation(request):
    """Who we are, for the footer, the legal pages and e-mails.

    Named ``organisation``, not ``site``: django-allauth puts its own ``site`` in the context of
    its pages, which would hide ours.
    """
    return {
        "organisation": {
            "name": settings.ORGANISATION_NAME,
            "privacy_email": settings.PRIVACY_EMAIL,
            "postal_address": settings.POSTAL_ADDRESS,
            "dpa_registration": settings.DPA_REGISTRATION,
            "company_number": settings.COMPANY_NUMBER,
        }
    }
