"""Reminders about pledges (督办) and notices on workflow events, for the inbox.

Sweeps (run hourly by ``campaigns.run_reminder_sweeps``, see :mod:`campaigns.inbox`), over the
pledges of active campaigns:

* **due soon** — a published pledge whose deadline is near: once per offset of
  ``campaign.reminder_days()`` (7 and 1 by default) → the owner's login and the secretaries of
  the pledge's organisation. The offset's reminder goes out from that many days before the
  deadline until the next smaller offset takes over, so a sweep that runs late, or a pledge
  published five days before its deadline, still gets one.
* **overdue** — published and past the deadline → the owner and the secretaries.
* **escalated** — still overdue more than ``campaign.overdue_escalation_days`` after the
  deadline → the secretaries of the superior organisation (the parent of the pledge's
  organisation: for a member pledge the committee above the branch, for an organisation
  pledge the organisation that reviews it; for a 党小组, which has no secretary, the committee
  above its branch).
* **review waiting** — submitted more than ``campaign.review_waiting_days`` days ago and not
  reviewed → the reviewing level: the committee of the member's branch, or for an organisation
  pledge the committee of its superior (the workflow's REVIEWER party), never the pledge's
  author or owner.

Each occasion has a key that names it exactly (pledge, kind, offset and the deadline or the
submission time), so a changed deadline or a resubmission reminds again, and delivering an
occasion twice is a no-op enforced by the database.

Scale: a sweep streams the pledges (``.iterator``) and, per batch of :data:`BATCH` pledges,
reads the role holders of the organisations it has not met yet in ONE query (a per-sweep cache
by organisation path): the number of queries does not grow with the number of pledges in a
batch, and memory is bounded by the number of organisations, not of pledges.

Recipients are only ever the owner's own login and role holders on the pledge's organisation
or its ancestors: people whose scope contains the pledge.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import inbox
from campaigns.inbox import Notice
from campaigns.models import Campaign, Organization, RoleAssignment
from pledges import workflow
from pledges.models import Pledge, PledgeHistory

logger = logging.getLogger(__name__)

Role = RoleAssignment.Role
Status = Pledge.Status

BATCH = 2000
TITLE_LENGTH = 30
# The secretary and the deputy secretary answer for their organisation's pledges.
SECRETARY_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY)
# A workflow event older than this when its handler runs is not news (e.g. history written
# with a past time by the demo seeding); real events are handled right after their commit.
FRESH_EVENT = datetime.timedelta(hours=12)

DUE_SOON = inbox.register(
    "pledge_due_soon",
    _("Pledge due on %(deadline)s (%(days)s days left): “%(title)s” — %(owner)s, %(organization)s"),
    icon="alarm",
)
OVERDUE = inbox.register(
    "pledge_overdue",
    _("Pledge overdue since %(deadline)s: “%(title)s” — %(owner)s, %(organization)s"),
    icon="exclamation-triangle",
)
ESCALATED = inbox.register(
    "pledge_overdue_escalated",
    _(
        "Still overdue %(days)s days after the deadline (%(deadline)s): “%(title)s” — "
        "%(owner)s, %(organization)s"
    ),
    icon="exclamation-octagon",
)
REVIEW_WAITING = inbox.register(
    "pledge_review_waiting",
    _("Awaiting review for %(days)s days: “%(title)s” — %(owner)s, %(organization)s"),
    icon="hourglass-split",
)
RETURNED = inbox.register(
    "pledge_returned",
    _("Your pledge was returned for revision: “%(title)s”"),
    icon="arrow-return-left",
)
APPROVED = inbox.register(
    "pledge_approved",
    _("Your pledge was approved: “%(title)s”"),
    icon="check-circle",
)


# ---------------------------------------------------------------------------------------------
# Recipients
# ---------------------------------------------------------------------------------------------


class RoleHolders:
    """Active users holding ``roles`` on active organisations, by organisation path.

    Filled batch by batch: :meth:`load` reads, in one query, every organisation (and ancestor)
    of a batch that has not been read yet; later batches of the same sweep reuse it.
    """

    def __init__(self, roles: Iterable[str]) -> None:
        self.roles = tuple(roles)
        self._by_path: dict[str, tuple[int, ...]] = {}
        self.queries = 0

    def load(self, paths: Iterable[str]) -> None:
        step = Organization.steplen
        wanted = {
            path[:end]
            for path in paths
            for end in range(step, len(path) + 1, step)
            if path[:end] not in self._by_path
        }
        if not wanted:
            return
        found: dict[str, list[int]] = defaultdict(list)
        rows = (
            RoleAssignment.objects.filter(
                organization__path__in=wanted,
                organization__is_active=True,
                user__is_active=True,
                role__in=self.roles,
            )
            .order_by("organization__path", "user_id")
            .values_list("organization__path", "user_id")
        )
        self.queries += 1
        for path, user_id in rows:
            if user_id not in found[path]:
                found[path].append(user_id)
        for path in wanted:
            self._by_path[path] = tuple(found.get(path, ()))

    def nearest(self, path: str, *, climb: int = 1, exclude: Iterable[int] = ()) -> tuple[int, ...]:
        """The holders on the organisation at ``path``; if there are none (a 党小组 has no
        secretary of its own), those on the closest of its next ``climb`` ancestors."""
        return self.nearest_level(path, climb=climb, exclude=exclude)[1]

    def nearest_level(
        self, path: str, *, climb: int = 1, exclude: Iterable[int] = ()
    ) -> tuple[str, tuple[int, ...]]:
        """Like :meth:`nearest`, with the path of the organisation where they were found
        (``path`` itself when nobody was)."""
        step = Organization.steplen
        excluded = set(exclude)
        level = path
        for _level in range(climb + 1):
            if not level:
                break
            holders = tuple(u for u in self._by_path.get(level, ()) if u not in excluded)
            if holders:
                return level, holders
            level = level[:-step]
        return path, ()


def parent_path(path: str) -> str:
    return path[: -Organization.steplen]


# ---------------------------------------------------------------------------------------------
# Streaming the pledges
# ---------------------------------------------------------------------------------------------

# What a reminder needs of a pledge, read in the pledge query itself (no query per pledge).
_FIELDS = (
    "pk",
    "deadline",
    "submitted_at",
    "author_id",
    "owner_member_id",
    "owner_member__name",
    "owner_member__user_id",
    "owner_member__user__is_active",
    "owner_organization__name",
    "organization__path",
    "organization__name",
    "title",
)


def _pledges(campaign: Campaign, **filters) -> QuerySet:
    return (
        Pledge.objects.filter(campaign=campaign, **filters)
        .annotate(title=Substr("content", 1, TITLE_LENGTH + 1))
        .order_by()
        .values(*_FIELDS)
    )


def _batches(queryset: QuerySet) -> Iterator[list[dict]]:
    rows = queryset.iterator(chunk_size=BATCH)
    while batch := list(islice(rows, BATCH)):
        yield batch


def _active_campaigns() -> list[Campaign]:
    return list(Campaign.objects.filter(status=Campaign.Status.ACTIVE).order_by("pk"))


def _title(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH] + "…"


def _params(row: dict, **extra) -> dict:
    return {
        "title": _title(row["title"]),
        "owner": row["owner_member__name"] or row["owner_organization__name"] or "",
        "organization": row["organization__name"],
        "deadline": row["deadline"].isoformat() if row["deadline"] else "",
        **extra,
    }


def _owner_user(row: dict) -> int | None:
    """The owner's own login, if the owner is a member who has an active one."""
    if row["owner_member__user_id"] and row["owner_member__user__is_active"]:
        return row["owner_member__user_id"]
    return None


def url_maker(name: str) -> Callable[[int], str]:
    """``pk → reverse(name, args=[pk])``, reversed once: ``reverse`` costs a tenth of a
    millisecond (the resolver, the active language), which at city scale was two thirds of a
    sweep's time. The id is the only part that changes."""
    marker = "987654321"
    prefix, _marker, suffix = reverse(name, args=[int(marker)]).rpartition(marker)
    return lambda pk: f"{prefix}{pk}{suffix}"


def _detail_url(pledge_id: int) -> str:
    return reverse("pledges:pledge_detail", args=[pledge_id])


def _notices(
    kind: inbox.Kind, key: str, recipients: Iterable[int | None], params: dict, url: str
) -> Iterator[Notice]:
    for user_id in dict.fromkeys(recipients):
        if user_id is not None:
            yield Notice(recipient_id=user_id, kind=kind, key=key, params=params, url=url)


# ---------------------------------------------------------------------------------------------
# The sweeps
# ---------------------------------------------------------------------------------------------


def due_windows(offsets: Iterable[int]) -> list[tuple[int, int, int]]:
    """``(offset, fewest, most)`` days left for each reminder offset: an offset's reminder is
    due from ``offset`` days before the deadline until the next smaller offset takes over (the
    last one until the deadline day itself). ``[7, 1]`` → ``[(7, 2, 7), (1, 0, 1)]``."""
    ordered = sorted({d for d in offsets if d >= 0}, reverse=True)
    windows = []
    for index, offset in enumerate(ordered):
        smaller = ordered[index + 1] if index + 1 < len(ordered) else None
        windows.append((offset, 0 if smaller is None else smaller + 1, offset))
    return windows


@inbox.sweep("pledges_due_soon")
def due_soon(*, today: datetime.date) -> Iterator[Notice]:
    secretaries = RoleHolders(SECRETARY_ROLES)
    detail_url = url_maker("pledges:pledge_detail")
    for campaign in _active_campaigns():
        windows = due_windows(campaign.reminder_days())
        if not windows:
            continue
        first = today + datetime.timedelta(days=min(w[1] for w in windows))
        last = today + datetime.timedelta(days=max(w[2] for w in windows))
        pledges = _pledges(campaign, status=Status.PUBLISHED, deadline__range=(first, last))
        for batch in _batches(pledges):
            secretaries.load(row["organization__path"] for row in batch)
            for row in batch:
                days_left = (row["deadline"] - today).days
                offset = next((d for d, low, high in windows if low <= days_left <= high), None)
                if offset is None:
                    continue
                yield from _notices(
                    DUE_SOON,
                    f"pledge:{row['pk']}:due:{offset}:{row['deadline'].isoformat()}",
                    (_owner_user(row), *secretaries.nearest(row["organization__path"])),
                    _params(row, days=days_left),
                    detail_url(row["pk"]),
                )


@inbox.sweep("pledges_overdue")
def overdue(*, today: datetime.date) -> Iterator[Notice]:
    secretaries = RoleHolders(SECRETARY_ROLES)
    detail_url = url_maker("pledges:pledge_detail")
    for campaign in _active_campaigns():
        pledges = _pledges(campaign, status=Status.PUBLISHED, deadline__lt=today)
        for batch in _batches(pledges):
            secretaries.load(row["organization__path"] for row in batch)
            for row in batch:
                yield from _notices(
                    OVERDUE,
                    f"pledge:{row['pk']}:overdue:{row['deadline'].isoformat()}",
                    (_owner_user(row), *secretaries.nearest(row["organization__path"])),
                    _params(row, days=(today - row["deadline"]).days),
                    detail_url(row["pk"]),
                )


@inbox.sweep("pledges_overdue_escalated")
def overdue_escalated(*, today: datetime.date) -> Iterator[Notice]:
    secretaries = RoleHolders(SECRETARY_ROLES)
    detail_url = url_maker("pledges:pledge_detail")
    for campaign in _active_campaigns():
        after = max(campaign.overdue_escalation_days, 1)
        pledges = _pledges(
            campaign,
            status=Status.PUBLISHED,
            deadline__lt=today - datetime.timedelta(days=after),
        )
        for batch in _batches(pledges):
            secretaries.load(row["organization__path"] for row in batch)  # ancestors too
            for row in batch:
                # Above the level that was told it is overdue: a 党小组's pledge was told to
                # its branch's secretary, so it escalates to the committee above the branch.
                told, _holders = secretaries.nearest_level(row["organization__path"])
                parent = parent_path(told)
                if not parent:
                    continue  # the campaign's top organisation has nobody above it
                yield from _notices(
                    ESCALATED,
                    f"pledge:{row['pk']}:escalated:{row['deadline'].isoformat()}",
                    secretaries.nearest(parent),
                    _params(row, days=(today - row["deadline"]).days),
                    detail_url(row["pk"]),
                )


@inbox.sweep("pledges_review_waiting")
def review_waiting(*, today: datetime.date) -> Iterator[Notice]:
    reviewers = RoleHolders(RoleAssignment.COMMITTEE_ROLES)
    review_url = url_maker("pledges:review_pledge")
    for campaign in _active_campaigns():
        since = today - datetime.timedelta(days=campaign.review_waiting_days)
        cutoff = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        pledges = _pledges(campaign, status=Status.SUBMITTED, submitted_at__lt=cutoff)
        for batch in _batches(pledges):
            levels = [_reviewing_path(row) for row in batch]
            reviewers.load(path for path in levels if path)
            for row, level in zip(batch, levels, strict=True):
                if not level:
                    continue
                # Nobody reviews a pledge they own or wrote (the workflow's NOT_OWN).
                own = {row["author_id"], row["owner_member__user_id"]}
                submitted = timezone.localtime(row["submitted_at"])
                yield from _notices(
                    REVIEW_WAITING,
                    f"pledge:{row['pk']}:review:{submitted:%Y%m%dT%H%M%S}",
                    reviewers.nearest(level, exclude=own),
                    _params(row, days=(today - submitted.date()).days),
                    review_url(row["pk"]),
                )


def _reviewing_path(row: dict) -> str:
    """Where the reviewers sit (the workflow's REVIEWER party, nearest level): the committee of
    a member pledge's branch; the committee above an organisation pledge's organisation."""
    path = row["organization__path"]
    return path if row["owner_member_id"] is not None else parent_path(path)


# ---------------------------------------------------------------------------------------------
# Workflow events: returned for revision, approved
# ---------------------------------------------------------------------------------------------


def notify_transition(history_id: int) -> None:
    """After a transition commits: tell the owner (and the author, if someone else wrote it)
    that their pledge was returned for revision or approved. Never the person who acted.

    Runs inside the request that made the transition, after its commit: a failure here is
    logged, never shown to the reviewer, whose decision is already saved."""
    try:
        notices = _transition_notices(history_id)
        if notices:
            inbox.deliver(notices)
    except Exception:  # the transition stands, whatever happens to its notice
        logger.exception("Could not deliver the notice of pledge history %s", history_id)


def _transition_notices(history_id: int) -> list[Notice]:
    kinds = {PledgeHistory.Action.RETURN: RETURNED, PledgeHistory.Action.APPROVE: APPROVED}
    history = (
        PledgeHistory.objects.filter(pk=history_id, action__in=list(kinds))
        .select_related("pledge__owner_member__user", "pledge__author")
        .first()
    )
    if history is None or history.created_at < timezone.now() - FRESH_EVENT:
        return []
    pledge = history.pledge
    owner = pledge.owner_member.user if pledge.owner_member_id else None
    if owner is not None and not owner.is_active:
        owner = None
    if history.action == PledgeHistory.Action.RETURN:
        # Whoever revises it: the owner, and the author who wrote it on their behalf.
        candidates = [owner, pledge.author]
    else:
        # An organisation (or a member without a login) cannot read it: the author does.
        candidates = [owner or pledge.author]
    recipients = [
        user.pk
        for user in candidates
        if user is not None and user.is_active and user.pk != history.actor_id
    ]
    params = {
        "title": _title(pledge.content),
        "owner": pledge.owner_member.name if pledge.owner_member_id else "",
        "comment": history.comment[:200],
    }
    return list(
        _notices(
            kinds[history.action],
            f"pledge:{pledge.pk}:history:{history.pk}",
            recipients,
            params,
            _detail_url(pledge.pk),
        )
    )


if notify_transition not in workflow.after_commit_handlers:
    workflow.after_commit_handlers.append(notify_transition)
