"""Shared fixtures: a tenant "world" with one user per role, API keys, and clients.

The default actor is a Member (`member` / `member_client`), never a superuser.
"""

import base64
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.test import Client

from apps.apikeys.services import api_key_create
from apps.core.access import system_access
from apps.core.roles import Role
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, ProjectFactory, UserFactory


def pytest_runtest_setup(item: pytest.Item) -> None:
    """`@pytest.mark.postgres("why")`: the test needs PostgreSQL; on SQLite it is skipped, saying why."""
    marker = item.get_closest_marker("postgres")
    if marker is not None:
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip(marker.args[0])


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def basic_auth(public_key: str, secret_key: str) -> str:
    return "Basic " + base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()


@dataclass
class KeyPair:
    id: str
    public_key: str
    secret_key: str

    @property
    def header(self) -> str:
        return basic_auth(self.public_key, self.secret_key)


@dataclass
class Tenant:
    organization: object
    project: object
    users: dict = field(default_factory=dict)  # Role -> User
    project_key: KeyPair | None = None
    org_key: KeyPair | None = None


def make_key(organization, project=None) -> KeyPair:
    key, secret = api_key_create(access=system_access(organization), project=project, note="test")
    return KeyPair(key.id, key.public_key, secret)


def make_tenant(label: str) -> Tenant:
    organization = OrganizationFactory(name=f"Org {label}")
    project = ProjectFactory(organization=organization, name=f"Project {label}")
    tenant = Tenant(organization=organization, project=project)
    for role in Role:
        user = UserFactory(email=f"{role.value.lower()}-{label.lower()}@example.com")
        MembershipFactory(organization=organization, user=user, role=role)
        tenant.users[role] = user
    tenant.project_key = make_key(organization, project)
    tenant.org_key = make_key(organization)
    return tenant


@pytest.fixture
def tenant(db) -> Tenant:
    """Organization A: one project, one user per role, a project key and an organization key."""
    return make_tenant("A")


@pytest.fixture
def other_tenant(db) -> Tenant:
    """Organization B, which nobody of A belongs to."""
    return make_tenant("B")


def client_for(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def member(tenant):
    return tenant.users[Role.MEMBER]


@pytest.fixture
def member_client(member) -> Client:
    return client_for(member)


@pytest.fixture
def api_client():
    """A Django test client for the public API."""
    return Client()
