"""Pledge numbers (承诺编号): the natural key that spreadsheets match pledges on.

Existing pledges are numbered per campaign and organisation in order of creation
("CN-<organisation code>-0001", …) before the uniqueness constraint is added.
"""

from django.conf import settings
from django.db import migrations, models

FILL_SQL = """
UPDATE pledges_pledge AS p
SET reference = 'CN-' || o.code || '-' || lpad(r.n::text, 4, '0')
FROM (
    SELECT id, organization_id,
           row_number() OVER (PARTITION BY campaign_id, organization_id ORDER BY created_at, id) AS n
    FROM pledges_pledge
) AS r
JOIN campaigns_organization AS o ON o.id = r.organization_id
WHERE p.id = r.id
"""


def number_existing_pledges(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQL)
        return
    Pledge = apps.get_model("pledges", "Pledge")
    counters: dict[tuple[int, int], int] = {}
    batch = []
    for pledge in (
        Pledge.objects.using(connection.alias)
        .select_related("organization")
        .order_by("created_at", "id")
        .iterator(chunk_size=2000)
    ):
        key = (pledge.campaign_id, pledge.organization_id)
        counters[key] = counters.get(key, 0) + 1
        pledge.reference = f"CN-{pledge.organization.code}-{counters[key]:04d}"
        batch.append(pledge)
        if len(batch) >= 2000:
            Pledge.objects.using(connection.alias).bulk_update(batch, ["reference"])
            batch = []
    if batch:
        Pledge.objects.using(connection.alias).bulk_update(batch, ["reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0003_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="reference",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=48,
                verbose_name="pledge number",
            ),
        ),
        migrations.RunPython(number_existing_pledges, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="pledge",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reference", ""), _negated=True),
                fields=("campaign", "reference"),
                name="pledge_reference_unique",
            ),
        ),
    ]
