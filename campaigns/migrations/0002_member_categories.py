from django.db import migrations

CODES = ["mobile", "village_official", "veteran_cadre", "farmer", "organ", "community", "enterprise"]


def create_categories(apps, schema_editor):
    MemberCategory = apps.get_model("campaigns", "MemberCategory")
    for code in CODES:
        MemberCategory.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
