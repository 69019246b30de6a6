"""The smoke profile against the real model service: every scenario works, zero failures."""

from loadtests import results, scenarios


def test_smoke_against_the_model_service(model_server_url, loadtests_cli, tmp_path):
    result = loadtests_cli("--profile", "smoke", "--host", model_server_url, out=tmp_path / "r")
    assert result.returncode == 0, "the smoke run failed: see its output above"
    measured = results.load(tmp_path / "r")
    assert measured.total.failures == 0
    assert set(measured.scenarios) == set(scenarios.NAMES)
