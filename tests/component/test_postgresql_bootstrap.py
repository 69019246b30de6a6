"""The postgresql chart's bootstrap script, run for real against PostgreSQL:
it must create every consumer's owner and database, let each owner log in with
its password from the Secret, and be safe to run again (it runs on every upgrade)."""

import secrets
import subprocess

import pytest

from devstack import charts
from devstack.paths import chart_dir
from devstack.postgres import LocalPostgres

# These render a subchart on its own, which needs the common library packaged into it.
pytestmark = pytest.mark.usefixtures("chart_dependencies")


def bootstrap_script(values: dict) -> tuple[str, list[dict]]:
    objects = charts.render(chart_dir("postgresql"), values)
    [configmap] = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-bootstrap")
    ]
    databases = (
        values.get("databases")
        or charts.load_values(chart_dir("postgresql") / "values.yaml")["databases"]
    )
    return configmap["data"]["ensure-databases.sh"], databases


def run_script(
    script: str, postgres: LocalPostgres, passwords: dict[str, str]
) -> subprocess.CompletedProcess:
    env = postgres.env() | {
        f"OWNER_PASSWORD_{o.upper().replace('-', '_')}": p for o, p in passwords.items()
    }
    return subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def chart_databases(postgres: LocalPostgres):
    script, databases = bootstrap_script({})
    yield script, databases
    for db in databases:
        postgres.psql(f'DROP DATABASE IF EXISTS "{db["name"]}"')
    for owner in {db["owner"] for db in databases}:
        postgres.psql(f'DROP ROLE IF EXISTS "{owner}"')


def test_creates_each_database_with_its_owner_and_is_idempotent(postgres, chart_databases) -> None:
    script, databases = chart_databases
    passwords = {db["owner"]: secrets.token_urlsafe(12) for db in databases}
    for attempt in (1, 2):
        result = run_script(script, postgres, passwords)
        assert result.returncode == 0, f"run {attempt}:\n{result.stdout}{result.stderr}"
    owners = dict(
        line.split("|")
        for line in postgres.psql(
            "SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
        ).splitlines()
    )
    for db in databases:
        assert owners.get(db["name"]) == db["owner"], (
            f"{db['name']} owned by {owners.get(db['name'])}"
        )
        login = postgres.psql(
            "SELECT current_user",
            database=db["name"],
            PGUSER=db["owner"],
            PGPASSWORD=passwords[db["owner"]],
        )
        assert login == db["owner"]


def test_a_rotated_password_in_the_secret_is_applied(postgres, chart_databases) -> None:
    script, databases = chart_databases
    owner = databases[0]["owner"]
    first = {db["owner"]: "first-" + secrets.token_hex(6) for db in databases}
    second = {**first, owner: "second-" + secrets.token_hex(6)}
    assert run_script(script, postgres, first).returncode == 0
    assert run_script(script, postgres, second).returncode == 0
    assert (
        postgres.psql(
            "SELECT 1", database=databases[0]["name"], PGUSER=owner, PGPASSWORD=second[owner]
        )
        == "1"
    )


def test_hostile_names_are_rejected_by_the_schema() -> None:
    result = charts.run_helm(
        "template", "t", chart_dir("postgresql"), "--set", "databases[0].name=x;drop", check=False
    )
    assert result.returncode != 0 and "/databases/0/name" in result.stderr, result.stderr
