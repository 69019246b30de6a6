"""The pipelines runner's pure parts: the emulator's registration, the image's serve
command, the tools' reports read back, the image build commands and their bad input."""

import io
import json
import tarfile

import pytest
import yaml

from devstack.pipelines import arm64_check, images, local_run, runners
from devstack.pipelines.arm64_check import serve_command
from devstack.pipelines.emulation import registration

DEBIAN_CONF = (
    r":qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    r"\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff"
    r"\xfe\xff\xff\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF"
)


def test_the_registration_keeps_debians_magic_and_flags_and_points_at_our_emulator(
    tmp_path,
) -> None:
    conf = tmp_path / "qemu-aarch64.conf"
    conf.write_text(DEBIAN_CONF + "\n")
    line = registration(conf, tmp_path / "aarch64-binfmt-P")
    fields = line.split(":")
    assert fields[1:3] == ["qemu-aarch64", "M"]
    assert fields[4] == DEBIAN_CONF.split(":")[4]  # the ELF magic
    assert fields[6:] == [str(tmp_path / "aarch64-binfmt-P"), "OPF"]


def test_the_serve_command_moves_only_host_and_port() -> None:
    entrypoint = ["bentoml", "serve", "/home/bentoml/bento", "--host", "0.0.0.0", "--port", "3000"]
    assert serve_command(entrypoint, 41000) == [
        "bentoml",
        "serve",
        "/home/bentoml/bento",
        "--host",
        "127.0.0.1",
        "--port",
        "41000",
    ]


def act_line(job: str, time: str, **fields) -> str:
    return json.dumps({"jobID": job, "job": f"platform/{job}", "time": time, **fields})


def test_acts_json_report_gives_each_jobs_verdict_and_time() -> None:
    output = "\n".join(
        [
            "not json: act's own warning",
            act_line("lint", "2026-12-02T08:00:00Z", msg="start"),
            act_line("lint", "2026-12-02T08:06:30Z", jobResult="success"),
            act_line("image", "2026-12-02T08:07:00Z", msg="start"),
            act_line("image", "2026-12-02T08:08:00Z", jobResult="failure"),
        ]
    )
    results = runners._github_results(output)
    assert [(r.job, r.passed, r.seconds) for r in results] == [
        ("lint", True, 390.0),
        ("image", False, 60.0),
    ]


def test_gitlab_ci_locals_summary_gives_each_jobs_verdict_and_a_missing_job_fails() -> None:
    output = "\n".join(
        [
            "release-chart finished in 325 ms",
            "component finished in 12 min",
            " PASS  release-chart",
            " FAIL  component",
        ]
    )
    results = runners._gitlab_results(output, ["release-chart", "component", "lint-and-static"])
    assert [(r.job, r.passed, r.seconds) for r in results] == [
        ("release-chart", True, 0.325),
        ("component", False, 720.0),
        ("lint-and-static", False, 0.0),
    ]


def test_image_builds_tag_every_version_and_push_only_when_asked() -> None:
    commands = images.build_commands("reg.example/mlops", ["abc123", "1.2.0"], "linux/arm64", True)
    assert len(commands) == len(images.IMAGES)
    serving = commands[0]
    assert serving[serving.index("-f") + 1] == "model_service/serving/Dockerfile"
    assert "reg.example/mlops/troll-classifier:abc123" in serving
    assert "reg.example/mlops/troll-classifier:1.2.0" in serving
    assert "--push" in serving
    built_only = images.build_commands("r/m", ["x"], "linux/amd64", False)
    assert all("--push" not in c and "--output=type=cacheonly" in c for c in built_only)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--registry", "https://reg.example/mlops", "--versions", "1"], "REGISTRY"),
        (["--registry", "reg.example/mlops", "--versions", "  "], "VERSIONS"),
        (["--registry", "r/m", "--versions", "1", "--push", "yes"], "--push"),
    ],
)
def test_bad_image_build_arguments_are_named(args, named, capsys) -> None:
    with pytest.raises(SystemExit):
        images.main(args)
    assert named in capsys.readouterr().err


def _layer(files: dict[str, bytes | None]) -> bytes:
    """A layer tarball: None makes a folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_layers_unpack_in_order_and_whiteouts_remove_what_lower_layers_made(tmp_path) -> None:
    lower = _layer(
        {
            "etc": None,
            "etc/a": b"1",
            "etc/b": b"2",
            "var": None,
            "var/lists": None,
            "var/lists/x": b"3",
        }
    )
    upper = _layer({"etc/.wh.a": b"", "etc/b": b"22", "var/lists/.wh..wh..opq": b""})
    for layer in (lower, upper):
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            for member in tar:
                arm64_check._apply(tar, member, tmp_path)
    assert not (tmp_path / "etc/a").exists()
    assert (tmp_path / "etc/b").read_bytes() == b"22"
    assert (tmp_path / "var/lists").is_dir() and not any((tmp_path / "var/lists").iterdir())


def test_every_action_the_jobs_run_here_use_has_a_stand_in_act_runs_instead() -> None:
    workflow = yaml.safe_load(runners.GITHUB_WORKFLOW.read_text())
    not_here = {job for pipeline, job in local_run.NOT_HERE if pipeline == "github"}
    used = {
        step["uses"]
        for name, job in workflow["jobs"].items()
        if name not in not_here
        for step in job.get("steps", [])
        if "uses" in step
    }
    # act checks out the repository itself: it copies the working tree into the job.
    missing = used - runners.ACTIONS.keys() - {"actions/checkout@v4"}
    assert not missing, f"act cannot download these here; add stand-ins: {sorted(missing)}"
    for folder in runners.ACTIONS.values():
        assert (runners.STAND_INS / folder / "action.yml").is_file(), folder
