from django.db import migrations, models


def pending_for_deleted_projects(apps, schema_editor):
    """Projects deleted before this table existed are still to be purged."""
    Project = apps.get_model("projects", "Project")
    PendingPurge = apps.get_model("projects", "PendingPurge")
    PendingPurge.objects.bulk_create(
        [
            PendingPurge(project_id=project_id, requested_at=deleted_at)
            for project_id, deleted_at in Project.objects.filter(deleted_at__isnull=False).values_list(
                "id", "deleted_at"
            )
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingPurge",
            fields=[
                ("project_id", models.CharField(max_length=30, primary_key=True, serialize=False)),
                ("requested_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(pending_for_deleted_projects, migrations.RunPython.noop),
    ]
