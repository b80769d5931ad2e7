"""The in-app inbox (站内消息) and the daily e-mail digest.

Apps declare their kinds of notification in a ``notices.py`` module (imported at start-up by
``CampaignsConfig.ready``)::

    DUE_SOON = inbox.register("pledge_due_soon", _("Pledge due in %(days)s days: %(title)s"))

and deliver with :func:`deliver`. A notification is stored once per recipient and occasion
(``key``); delivering the same occasion again is a no-op enforced by the database, which is what
makes reminder sweeps safe to run twice or on two workers at once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from campaigns.models import Notification, NotificationPreference

User = get_user_model()
logger = logging.getLogger(__name__)

# Only recent notifications go into a digest: someone who switches e-mail back on after a year
# gets today's news, not the year's.
DIGEST_WINDOW = datetime.timedelta(days=3)
DELIVER_BATCH = 1000


@dataclass(frozen=True)
class Kind:
    code: str
    text: Promise  # a lazy translation formatted with the notification's params
    icon: str = "bell"


KINDS: dict[str, Kind] = {}


def register(code: str, text: Promise, *, icon: str = "bell") -> Kind:
    """Declare a kind of notification (once, at import time of an app's ``notices.py``)."""
    kind = Kind(code=code, text=text, icon=icon)
    KINDS[code] = kind
    return kind


@dataclass(frozen=True)
class Notice:
    """A notification to deliver: ``key`` names the occasion, unique per recipient."""

    recipient_id: int
    kind: Kind
    key: str
    params: dict = field(default_factory=dict)
    url: str = ""


def _batches(items: Iterable[Notice], size: int) -> Iterator[list[Notice]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def deliver(notices: Iterable[Notice]) -> int:
    """Store notifications, skipping occasions already delivered; returns how many are new.

    One INSERT … ON CONFLICT DO NOTHING per thousand notices, whatever else happens: the unique
    constraint decides, so concurrent sweeps cannot both deliver an occasion.
    """
    now = timezone.now()
    # Every row this call inserts carries exactly ``now``; rows that were already there are
    # older, or (under a frozen clock in tests) counted before. The partial index on unemailed
    # rows serves both counts.
    stamped = Notification.objects.filter(created_at=now, emailed_at__isnull=True)
    before = stamped.count()
    for batch in _batches(notices, DELIVER_BATCH):
        rows = [
            Notification(
                recipient_id=notice.recipient_id,
                kind=notice.kind.code,
                key=notice.key[:160],
                params=notice.params,
                url=notice.url,
                created_at=now,
            )
            for notice in batch
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return stamped.count() - before


def render(notification: Notification) -> str:
    """The notification's text in the active language."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    try:
        return str(kind.text) % notification.params
    except (KeyError, TypeError, ValueError):
        return str(kind.text)


def icon(notification: Notification) -> str:
    kind = KINDS.get(notification.kind)
    return kind.icon if kind else "bell"


# -- reminder sweeps ---------------------------------------------------------------------------

Sweep = Callable[..., Iterable[Notice]]
SWEEPS: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    """Register a reminder sweep: ``fn(*, today: date) -> Iterable[Notice]``.

    A sweep yields every notice that is due on ``today`` — including ones already delivered on an
    earlier run; :func:`deliver` drops those. It must stream (``.iterator()``, fixed number of
    queries per batch), never load the city into memory.
    """

    def register_sweep(func: Sweep) -> Sweep:
        SWEEPS[name] = func
        return func

    return register_sweep


def run_sweeps(
    *, today: datetime.date | None = None, only: Iterable[str] | None = None
) -> dict[str, int]:
    """Run the registered sweeps; returns the number of new notifications per sweep."""
    today = today or timezone.localdate()
    wanted = set(only) if only is not None else None
    delivered: dict[str, int] = {}
    for name, func in SWEEPS.items():
        if wanted is not None and name not in wanted:
            continue
        try:
            delivered[name] = deliver(func(today=today))
        except Exception:
            # One broken sweep must not silence the others; the next run retries it (what it
            # delivered before failing stays delivered, once).
            logger.exception("Reminder sweep %s failed", name)
            delivered[name] = -1
    return delivered


# -- reading --------------------------------------------------------------------------------


def notifications_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def access_notification(*, user: User, pk: int) -> Notification:
    """The user's own notification; someone else's is a 404 like a missing one."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Notification, pk=pk, recipient=user)


def preference_for(*, user: User) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


# -- writing --------------------------------------------------------------------------------


def mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one notification (or, with none given, all of the user's) as read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        qs = qs.filter(pk=notification.pk)
    return qs.update(read_at=timezone.now())


def set_preference(*, user: User, email_digest: bool, language: str) -> NotificationPreference:
    preference = preference_for(user=user)
    preference.email_digest = email_digest
    preference.language = language
    preference.save(update_fields=["email_digest", "language"])
    return preference


# -- the daily e-mail digest ------------------------------------------------------------------


def digest_recipients(*, now: datetime.datetime | None = None) -> list[int]:
    """Users with notifications not yet e-mailed in the window, an address, and e-mail on."""
    now = now or timezone.now()
    opted_out = NotificationPreference.objects.filter(email_digest=False).values("user_id")
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=now - DIGEST_WINDOW,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .exclude(recipient_id__in=opted_out)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )


def send_digest(*, user_id: int, now: datetime.datetime | None = None) -> int:
    """E-mail one user the notifications not yet e-mailed; returns how many it held.

    The notifications are marked e-mailed only after the message was handed to the mail
    backend; a failure raises (the task retries with backoff) and leaves the inbox untouched.
    """
    now = now or timezone.now()
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return 0
    preference = preference_for(user=user)
    if not preference.email_digest:
        return 0
    pending = list(
        Notification.objects.filter(
            recipient=user, emailed_at__isnull=True, created_at__gte=now - DIGEST_WINDOW
        ).order_by("created_at", "id")[:200]
    )
    if not pending:
        return 0
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    with translation.override(preference.language):
        items = [
            {"text": render(n), "url": f"{base}{n.url}" if n.url else "", "at": n.created_at}
            for n in pending
        ]
        context = {"user": user, "items": items, "inbox_url": f"{base}{reverse('campaigns:inbox')}"}
        subject = _("Strive for Excellence: %(count)s new notifications") % {"count": len(items)}
        body = render_to_string("campaigns/email/digest.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    return len(pending)
