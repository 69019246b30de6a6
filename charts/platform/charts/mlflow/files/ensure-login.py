"""Makes sure MLflow's basic-auth database holds a login the chart keeps, with the
password in the chart's Secret: Prometheus' scrape login, and the troll classifier's
model login.

MLflow's auth app fails closed: a route without a permission rule, /metrics among them,
answers 403 to every user but an admin, so the scrape login is an admin. The model login
is an ordinary user: it owns what it creates (the experiment, the registered model) and
reads the rest by auth.defaultPermission. Neither is the chart's admin (ADMIN_USERNAME),
whose password this never touches.

Run by the mlflow chart's init containers after the auth schema migration:
`python ensure-login.py AUTH_DATABASE_URI` with LOGIN_USERNAME, LOGIN_PASSWORD,
LOGIN_IS_ADMIN ("true" or "false") and ADMIN_USERNAME set. Safe to re-run and safe when
replicas start together: an existing user keeps its row and only gets the current
password and admin flag.
"""

import os
import sys

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"ensure-login: {name} is not set")
    return value


def ensure_user(store: SqlAlchemyStore, username: str, password: str, is_admin: bool) -> str:
    """Create the login, or bring an existing one up to date; says which."""
    try:
        store.create_user(username, password, is_admin=is_admin)
        return "created"
    except MlflowException as error:
        # Another replica's init container may have created it a moment ago.
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    if (
        store.authenticate_user(username, password)
        and store.get_user(username).is_admin == is_admin
    ):
        return "unchanged"
    store.update_user(username, password=password, is_admin=is_admin)
    return "updated"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: ensure-login.py AUTH_DATABASE_URI")
    username = required("LOGIN_USERNAME")
    password = required("LOGIN_PASSWORD")
    is_admin = required("LOGIN_IS_ADMIN")
    if is_admin not in ("true", "false"):
        sys.exit(f"ensure-login: LOGIN_IS_ADMIN must be true or false, got {is_admin!r}")
    if username == required("ADMIN_USERNAME"):
        sys.exit(f"ensure-login: {username} is auth.adminUsername; choose another login name")
    store = SqlAlchemyStore()
    store.init_db(sys.argv[1])
    print(f"ensure-login: {username}: {ensure_user(store, username, password, is_admin == 'true')}")


if __name__ == "__main__":
    main()
