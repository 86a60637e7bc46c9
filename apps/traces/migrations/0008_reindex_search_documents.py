"""Search documents now also hold the last character of each run of unspaced script (a search for
that one character found nothing before): every stored trace is indexed again by the background
indexer. Its old document keeps answering searches until then."""

from django.db import migrations


def mark_pending(apps, schema_editor):
    Trace = apps.get_model("traces", "Trace")
    Trace.objects.filter(search_pending=False).update(search_pending=True)


class Migration(migrations.Migration):
    dependencies = [("traces", "0007_observation_errors_index")]

    operations = [migrations.RunPython(mark_pending, migrations.RunPython.noop, elidable=True)]
