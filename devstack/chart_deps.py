"""`make chart-deps`: package each subchart (and the common library) into its parent's
charts/, dependencies first, so the umbrella carries the current subchart sources.

    python -m devstack.chart_deps
"""

from devstack.charts import discover_charts, run_helm


def build_dependencies() -> None:
    """`helm dependency build` for every chart, dependencies first."""
    charts = {c.name: c for c in discover_charts()}
    done: set[str] = set()

    def build(name: str) -> None:
        if name in done:
            return
        for dep in charts[name].dependencies:
            build(dep)
        if charts[name].dependencies:
            result = run_helm("dependency", "build", charts[name].path, check=False)
            if result.returncode != 0:
                hint = ""
                if "out of sync" in result.stderr:
                    hint = f"\nrun: helm dependency update {charts[name].path}"
                raise RuntimeError(f"helm dependency build {name} failed:\n{result.stderr}{hint}")
        done.add(name)

    for name in charts:
        build(name)


if __name__ == "__main__":
    build_dependencies()
