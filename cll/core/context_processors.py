from django.conf import settings


def site(request):
    """Site identity for the footer and the legal pages."""
    return {
        "site": {
            "name": settings.ORGANISATION_NAME,
            "privacy_email": settings.PRIVACY_EMAIL,
            "postal_address": settings.POSTAL_ADDRESS,
            "dpa_registration": settings.DPA_REGISTRATION,
            "company_number": settings.COMPANY_NUMBER,
        }
    }
