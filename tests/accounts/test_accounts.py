"""Sign-up, login (rate-limited), logout, password change and the language switch."""

from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.urls import reverse

from apps.core.cache import outage
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.core
User = get_user_model()


def test_signup_creates_user_and_signs_in(client, db):
    response = client.post(
        reverse("accounts:signup"), {"name": "Ada", "email": "Ada@Example.com", "password": "a-long-passphrase-42"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("organizations:create")
    user = User.objects.get(email="ada@example.com")
    assert user.check_password("a-long-passphrase-42")
    assert client.get(reverse("organizations:create")).status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/project/x/traces/", "/project/x/traces/"),
        ("//evil.com", None),
        ("/\\evil.com", None),
        ("https://evil.com", None),
    ],
)
def test_signup_goes_back_only_inside_langops(client, db, next_url, expected):
    response = client.post(
        reverse("accounts:signup") + "?" + urlencode({"next": next_url}),
        {"name": "Ada", "email": "ada@example.com", "password": "a-long-passphrase-42"},
    )
    assert response["Location"] == (expected or reverse("organizations:create"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Ada", "email": "not-an-email", "password": "a-long-passphrase-42"}, "email"),
        ({"name": "Ada", "email": "ada@example.com", "password": "123"}, "password"),
        ({"name": "<img src=x>", "email": "ada@example.com", "password": "a-long-passphrase-42"}, "name"),
    ],
)
def test_signup_rejects_bad_input(client, db, data, field):
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()


def test_signup_rejects_duplicate_email(client, db):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("accounts:signup"), {"name": "X", "email": "TAKEN@example.com", "password": "a-long-passphrase-42"}
    )
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1


def test_signup_can_be_disabled(client, db, settings):
    settings.LANGOPS_SIGNUP_ENABLED = False
    assert client.get(reverse("accounts:signup")).status_code == 403


def test_login_and_logout_end_the_session(client, db):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:password")).status_code == 200
    session_key = client.session.session_key
    assert client.post(reverse("accounts:logout")).status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(reverse("accounts:password")).status_code == 302


def test_logout_by_get_is_refused(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("accounts:password")).status_code == 200


def test_login_is_rate_limited(client, db, settings):
    user = UserFactory()
    for _ in range(5):
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the Redis outage case (embedded mode has no Redis)")
def test_login_stays_rate_limited_while_redis_is_down(client, db, settings):
    """The cache fails soft during a Redis outage; the login limit must not fail open with it."""
    dead = {**settings.CACHES["guarded"], "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {**settings.CACHES, "guarded": dead}
    outage.until = 0.0
    user = UserFactory()
    try:
        for _ in range(5):
            response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
            assert response.status_code == 200
        assert outage.active()
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
    finally:
        caches["guarded"]._local.clear()
        outage.until = 0.0


def test_password_change(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": "another-passphrase-77", "new_password2": "another-passphrase-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-passphrase-77")
    assert client.get(reverse("accounts:password")).status_code == 200  # session kept


def test_password_change_with_wrong_old_password_changes_nothing(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password"),
        {"old_password": "nope", "new_password1": "another-passphrase-77", "new_password2": "another-passphrase-77"},
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_language_switch_to_japanese(client, db):
    response = client.post(reverse("set_language"), {"language": "ja", "next": reverse("accounts:login")}, follow=True)
    assert "サインイン".encode() in response.content
    assert b'lang="ja"' in response.content


def test_user_account_changes_go_to_auditlog(db):
    from auditlog.models import LogEntry

    user = UserFactory(name="Before")
    user.name = "After"
    user.save()
    changes = [entry.changes_dict for entry in LogEntry.objects.get_for_object(user)]
    assert {"name": ["Before", "After"]} in changes
