"""The platform as `make up` installs it: charts/platform with values/local.yaml,
rendered and checked against the Kubernetes schemas before anything starts."""

from collections import Counter

from devstack.charts import UMBRELLA, load_values, render
from devstack.console import say
from devstack.kube_schema import schema_versions, validation_errors
from devstack.paths import LOCAL_PROFILE, PLATFORM_CHART, REPO_ROOT


def render_platform() -> list[dict]:
    """Rendered objects of the local profile; exits naming every invalid object."""
    say(f"rendering charts/{UMBRELLA} with {LOCAL_PROFILE.relative_to(REPO_ROOT)}")
    objects = render(PLATFORM_CHART, load_values(LOCAL_PROFILE))
    versions = schema_versions()
    errors = [e for v in versions for o in objects for e in validation_errors(o, v)]
    if errors:
        raise SystemExit("rendered objects are invalid:\n" + "\n".join(errors))
    kinds = Counter(o["kind"] for o in objects)
    say(
        f"{len(objects)} objects valid on Kubernetes {', '.join(versions)}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )
    return objects
