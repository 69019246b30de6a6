"""Makes sure MLflow's basic-auth database holds the login Prometheus scrapes /metrics
with, whose password is the one in the chart's Secret.

MLflow's auth app fails closed: a route without a permission rule, /metrics among them,
answers 403 to every user but an admin. So the login is an admin of its own, apart from
the chart's admin (ADMIN_USERNAME), whose password this never touches.

Run by the mlflow chart's `scrape-user` init container, after the auth schema
migration: `python ensure-scrape-user.py AUTH_DATABASE_URI` with SCRAPE_USERNAME,
SCRAPE_PASSWORD and ADMIN_USERNAME set. Safe to re-run and safe when replicas start
together: an existing user keeps its row and only gets the current password.
"""

import os
import sys

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"scrape-user: {name} is not set")
    return value


def ensure_user(store: SqlAlchemyStore, username: str, password: str) -> str:
    """Create the login, or bring an existing one up to date; says which."""
    try:
        store.create_user(username, password, is_admin=True)
        return "created"
    except MlflowException as error:
        # Another replica's init container may have created it a moment ago.
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    if store.authenticate_user(username, password) and store.get_user(username).is_admin:
        return "unchanged"
    store.update_user(username, password=password, is_admin=True)
    return "updated"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: ensure-scrape-user.py AUTH_DATABASE_URI")
    username = required("SCRAPE_USERNAME")
    password = required("SCRAPE_PASSWORD")
    if username == required("ADMIN_USERNAME"):
        sys.exit(f"scrape-user: {username} is auth.adminUsername; choose another scrape login")
    store = SqlAlchemyStore()
    store.init_db(sys.argv[1])
    print(f"scrape-user: {username}: {ensure_user(store, username, password)}")


if __name__ == "__main__":
    main()
