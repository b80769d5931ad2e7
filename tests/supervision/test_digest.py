"""The daily e-mail digest: one message per user holding the new notifications; never twice;
not for users who switched it off; a mail failure loses nothing."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.translation import gettext_lazy

from campaigns import inbox, tasks
from campaigns.models import Notification

pytestmark = pytest.mark.django_db

KIND = inbox.register("test_digest_kind", gettext_lazy("Pledge overdue: %(title)s"))


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")


def notify(user, key: str, title: str) -> None:
    inbox.deliver(
        [
            inbox.Notice(
                recipient_id=user.pk, kind=KIND, key=key, params={"title": title}, url="/pledges/"
            )
        ]
    )


@pytest.fixture
def with_addresses(world):
    for who in ("secretary_a", "secretary_b"):
        user = world.users[who]
        user.email = f"{who}@example.org"
        user.save(update_fields=["email"])
    return world


def test_one_digest_per_user_with_all_new_notifications(with_addresses, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users = with_addresses.users
    notify(users["secretary_a"], "a1", "修缮村口便民桥")
    notify(users["secretary_a"], "a2", "开展义诊活动")
    notify(users["secretary_b"], "b1", "清理河道")

    recipients = inbox.digest_recipients()
    assert set(recipients) == {users["secretary_a"].pk, users["secretary_b"].pk}
    for user_id in recipients:
        tasks.send_email_digest.apply(args=[user_id]).get()

    assert len(mail.outbox) == 2
    to_a = next(m for m in mail.outbox if m.to == ["secretary_a@example.org"])
    assert "修缮村口便民桥" in to_a.body and "开展义诊活动" in to_a.body
    assert "清理河道" not in to_a.body
    assert "2" in to_a.subject
    # Chinese by default, with links back to the portal.
    assert "站内消息" in to_a.body and "/pledges/" in to_a.body

    # Nothing new: the next digest run sends nothing.
    assert inbox.digest_recipients() == []
    assert inbox.send_digest(user_id=users["secretary_a"].pk) == 0
    assert len(mail.outbox) == 2
    # The inbox entries are still unread: e-mail does not mark them read.
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_users_who_switched_email_off_or_have_no_address_get_none(with_addresses, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users = with_addresses.users
    inbox.set_preference(user=users["secretary_a"], email_digest=False, language="zh-hans")
    notify(users["secretary_a"], "a1", "修缮村口便民桥")
    users["superior"].email = ""
    users["superior"].save(update_fields=["email"])
    notify(users["superior"], "s1", "无邮箱的人")  # no e-mail address
    assert inbox.digest_recipients() == []
    assert inbox.send_digest(user_id=users["secretary_a"].pk) == 0
    assert mail.outbox == []


def test_digest_in_the_users_chosen_language(with_addresses, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = with_addresses.users["secretary_b"]
    inbox.set_preference(user=user, email_digest=True, language="en")
    notify(user, "b1", "清理河道")
    inbox.send_digest(user_id=user.pk)
    assert "Pledge overdue: 清理河道" in mail.outbox[0].body


def test_a_mail_failure_keeps_the_inbox_and_is_retried(with_addresses, settings):
    settings.EMAIL_BACKEND = "tests.supervision.test_digest.FailingBackend"
    user = with_addresses.users["secretary_a"]
    notify(user, "a1", "修缮村口便民桥")

    with pytest.raises(smtplib.SMTPException):
        inbox.send_digest(user_id=user.pk)
    notification = Notification.objects.get(key="a1")
    assert notification.emailed_at is None  # will go out with the next attempt
    assert notification.read_at is None

    # The task retries such failures with backoff.
    assert smtplib.SMTPException in tasks.send_email_digest.autoretry_for
    assert tasks.send_email_digest.retry_backoff

    # Once the mail server is back, the retry sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert inbox.send_digest(user_id=user.pk) == 1
    assert len(mail.outbox) == 1


def test_old_notifications_are_not_emailed(with_addresses, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = with_addresses.users["secretary_a"]
    notify(user, "old", "去年的提醒")
    Notification.objects.filter(key="old").update(
        created_at=timezone.now() - inbox.DIGEST_WINDOW - datetime.timedelta(hours=1)
    )
    assert inbox.digest_recipients() == []
