from devstack.kube_schema import validation_errors
from tests.harness import chart_cases


def test_objects_validate_strictly(rendered_case: chart_cases.Case, kube_version: str) -> None:
    errors = [
        error
        for obj in chart_cases.render_case(rendered_case)
        for error in validation_errors(obj, kube_version)
    ]
    assert not errors, f"{rendered_case.id} on Kubernetes {kube_version}:\n" + "\n".join(errors)
