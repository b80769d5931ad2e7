from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


def _install_schedule(sender, **kwargs) -> None:
    from config.schedule import install_schedule

    install_schedule()


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaigns and organisations")

    def ready(self) -> None:
        # Each app declares its kinds of notification in notices.py (see campaigns.inbox).
        autodiscover_modules("notices")
        # The periodic jobs of config/schedule.py exist after every migrate (post_migrate is
        # sent once all apps, django_celery_beat included, are migrated).
        post_migrate.connect(_install_schedule, sender=self)
