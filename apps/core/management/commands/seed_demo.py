"""Create the demo organization, project, Owner and API key once; print how to use them.

The demo secrets are kept in the data directory (mode 0600) so that every start can print
them again: the database itself stores only hashes.
"""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.apikeys.services import api_key_create
from apps.core.access import user_access
from apps.organizations.services import organization_create
from apps.projects.services import project_create

DEMO_EMAIL = "demo@langops.local"


class Command(BaseCommand):
    help = "Create the demo organization, project, Owner user and API key pair (once), then print them."

    def handle(self, *args, **options) -> None:
        path = Path(settings.DATA_DIR) / "demo_credentials.json"
        User = get_user_model()
        if path.exists() and User.objects.filter(email=DEMO_EMAIL).exists():
            credentials = json.loads(path.read_text())
        else:
            credentials = self._create()
            path.write_text(json.dumps(credentials, indent=2))
            os.chmod(path, 0o600)
        self._print(credentials)

    @transaction.atomic
    def _create(self) -> dict:
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, password, name="Demo Owner")
        else:  # credentials file lost: reset the password so the printed one works
            user.set_password(password)
            user.save(update_fields=["password"])
        organization = user.memberships.select_related("organization").first()
        organization = (
            organization.organization if organization else organization_create(user=user, name="Demo Organization")
        )
        access = user_access(user, organization_id=organization.id)
        project = organization.projects.filter(deleted_at__isnull=True).first() or project_create(
            access=access, name="Demo Project"
        )
        access = user_access(user, organization_id=organization.id, project_id=project.id)
        key, secret = api_key_create(access=access, project=project, note="Demo key created by make run")
        return {
            "email": DEMO_EMAIL,
            "password": password,
            "organization_id": organization.id,
            "project_id": project.id,
            "public_key": key.public_key,
            "secret_key": secret,
        }

    def _print(self, c: dict) -> None:
        url = settings.LANGOPS_PUBLIC_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "LangOps is starting.",
                    f"  Console:   {url}/",
                    f"  Login:     {c['email']}",
                    f"  Password:  {c['password']}",
                    f"  API docs:  {url}/api/public/docs",
                    "",
                    "Send traces from any Langfuse SDK, OpenTelemetry exporter or Dify with:",
                    f'LANGFUSE_HOST="{url}"',
                    f'LANGFUSE_PUBLIC_KEY="{c["public_key"]}"',
                    f'LANGFUSE_SECRET_KEY="{c["secret_key"]}"',
                    "",
                ]
            )
        )
