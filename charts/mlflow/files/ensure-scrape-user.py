"""Makes sure MLflow's basic-auth database holds the login Prometheus scrapes /metrics
with: an ordinary user (never an admin) whose password is the one in the chart's Secret.

Run by the mlflow chart's `scrape-user` init container, after the auth schema
migration: `python ensure-scrape-user.py AUTH_DATABASE_URI` with SCRAPE_USERNAME and
SCRAPE_PASSWORD set. Safe to re-run and safe when replicas start together: an
existing user keeps its row and only gets the current password.
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
    """Create the user, or bring an existing one's password up to date; says which."""
    try:
        store.create_user(username, password, is_admin=False)
        return "created"
    except MlflowException as error:
        # Another replica's init container may have created it a moment ago.
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    if store.get_user(username).is_admin:
        sys.exit(
            f"scrape-user: {username} is an MLflow admin; "
            "choose another metrics.scrapeLogin.username"
        )
    if store.authenticate_user(username, password):
        return "unchanged"
    store.update_user(username, password=password)
    return "password updated"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: ensure-scrape-user.py AUTH_DATABASE_URI")
    username = required("SCRAPE_USERNAME")
    password = required("SCRAPE_PASSWORD")
    store = SqlAlchemyStore()
    store.init_db(sys.argv[1])
    print(f"scrape-user: {username}: {ensure_user(store, username, password)}")


if __name__ == "__main__":
    main()
