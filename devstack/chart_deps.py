"""`make chart-deps`: package the common library into each subchart's own charts/, so a
subchart renders and installs on its own (`helm template charts/platform/charts/mlflow`).

The umbrella needs none of this: its subcharts are folders in charts/platform/charts/,
the library among them, and its .helmignore leaves these packaged copies out.

    python -m devstack.chart_deps
"""

from devstack.charts import UMBRELLA, discover_charts, run_helm


def build_dependencies() -> None:
    """`helm dependency build` for every subchart that has dependencies."""
    for chart in discover_charts():
        if chart.name == UMBRELLA or not chart.dependencies:
            continue
        result = run_helm("dependency", "build", chart.path, check=False)
        if result.returncode != 0:
            hint = ""
            if "out of sync" in result.stderr:
                hint = f"\nrun: helm dependency update {chart.path}"
            raise RuntimeError(f"helm dependency build {chart.name} failed:\n{result.stderr}{hint}")


if __name__ == "__main__":
    build_dependencies()
