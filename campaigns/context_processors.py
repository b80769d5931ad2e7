from django.conf import settings

from campaigns import inbox, scope


def portal(request) -> dict:
    """What the navigation bar needs on every page."""
    user = getattr(request, "user", None)
    return {
        "LANGUAGES": settings.LANGUAGES,
        "is_staff_user": scope.is_staff_user(user) if user is not None else False,
        "is_office": scope.is_office(user) if user is not None else False,
        # One indexed count per page (partial index on unread notifications).
        "inbox_unread": inbox.unread_count(user=user) if user is not None else 0,
    }
