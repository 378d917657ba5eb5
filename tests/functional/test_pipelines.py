"""Pipelines end to end through the Python API, with real scripts as transforms."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.errors import AlreadyExists, Conflict, InvalidArgument
from pachlite.model import DatumState, JobState
from tests.support.pipelines import COPY, last_job, pfs, py, script, spec


@pytest.fixture
def copy_script(tmp_path: Path) -> str:
    # /pfs in the script's own source is not rewritten, so it finds its paths from the env.
    return script(tmp_path, "copy", COPY.replace('"/pfs/out"', 'os.environ["OUT"]'))


def make_copy(client: Client, copy_script: str, **extra: object) -> None:
    body = spec("upper", py(copy_script), pfs("in", name="in"), **extra)
    body["transform"]["env"] = {"OUT": "/pfs/out"}
    client.create_pipeline(body)


def outputs(client: Client, repo: str) -> dict[str, bytes]:
    return {
        p: client.get_file(f"{repo}@master:{p}") for p, _, _ in client.walk_file(f"{repo}@master:/")
    }


def test_create_processes_existing_data_then_only_what_changes(
    client: Client, copy_script: str
) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a.txt", b"a")
    client.put_file_bytes("in@master:/b.txt", b"b")
    make_copy(client, copy_script)
    ran = client.run_pending()
    assert [r.state for r in ran] == [JobState.SUCCESS]
    assert outputs(client, "upper") == {"/a.txt": b"A", "/b.txt": b"B"}

    client.put_file_bytes("in@master:/c.txt", b"c")  # new datum
    client.put_file_bytes("in@master:/a.txt", b"a2", append=True)  # changed datum
    client.delete_file("in@master:/b.txt")  # removed datum
    client.run_pending()
    jobs = client.list_job(pipeline="upper")
    assert [(j.data_processed, j.data_skipped, j.data_total) for j in jobs[:3]] == [
        (0, 2, 2),
        (1, 2, 3),
        (1, 2, 3),
    ]
    assert outputs(client, "upper") == {"/a.txt": b"AA2", "/c.txt": b"C"}
    out = client.inspect_commit("upper@master")
    assert out.job == f"upper@{jobs[0].id}" and out.pipeline_version == 1
    assert out.direct_provenance == [f"in@{jobs[0].id}"]
    assert client.fsck().ok


def test_environment_seen_by_a_real_script(client: Client, tmp_path: Path) -> None:
    dump = script(
        tmp_path,
        "env",
        """
    keys = ["images", "images_COMMIT", "labels", "PACH_DATUM_ID", "PACH_JOB_ID",
            "PACH_OUTPUT_COMMIT_ID", "PPS_PIPELINE_NAME", "PPS_SPEC_COMMIT",
            "PACH_DATUM_images_JOIN_ON", "PACH_DATUM_labels_JOIN_ON", "MY_SETTING", "WHERE_OUT"]
    env = {k: os.environ.get(k) for k in keys}
    env["image_bytes"] = pathlib.Path(os.environ["images"]).read_text()
    env["stdin"] = sys.stdin.read()
    env["cwd"] = os.getcwd()
    out = pathlib.Path(os.environ["WHERE_OUT"]) / (os.environ["PACH_DATUM_ID"] + ".json")
    out.write_text(json.dumps(env))
    """,
    )
    client.create_repo("images")
    client.create_repo("labels")
    images = client.put_file_bytes("images@master:/1.png", b"pixels")
    client.put_file_bytes("labels@master:/1.json", b"{}")
    body = spec(
        "envdump",
        py(dump),
        {
            "join": [
                pfs("images", "/(*).png", join_on="$1"),
                pfs("labels", "/(*).json", join_on="$1"),
            ]
        },
    )
    body["transform"].update(
        env={"MY_SETTING": "x y", "WHERE_OUT": "/pfs/out"}, stdin=["first /pfs/images", "second"]
    )
    client.create_pipeline(body, workdir=str(tmp_path))
    client.run_pending()
    job = last_job(client, "envdump")
    assert job.state == JobState.SUCCESS
    datum = client.list_datum(f"envdump@{job.id}")[0]
    seen = json.loads(client.get_file(f"envdump@master:/{datum.id}.json"))
    assert seen["images"].endswith("/pfs/images/1.png") and seen["image_bytes"] == "pixels"
    assert seen["labels"].endswith("/pfs/labels/1.json")
    assert seen["images_COMMIT"] == images.id
    assert seen["PACH_JOB_ID"] == seen["PACH_OUTPUT_COMMIT_ID"] == job.id
    assert seen["PACH_DATUM_ID"] == datum.id
    assert seen["PPS_PIPELINE_NAME"] == "envdump"
    # The pipeline version, named like a Pachyderm spec commit; a new version, a new name.
    assert len(seen["PPS_SPEC_COMMIT"]) == 32 and int(seen["PPS_SPEC_COMMIT"], 16) >= 0
    assert seen["PACH_DATUM_images_JOIN_ON"] == seen["PACH_DATUM_labels_JOIN_ON"] == "1"
    assert seen["MY_SETTING"] == "x y"
    assert seen["WHERE_OUT"].endswith("/pfs/out") and seen["WHERE_OUT"] != "/pfs/out"
    first, second = seen["stdin"].splitlines()
    assert first.startswith("first /") and first.endswith("/pfs/images") and second == "second"
    assert seen["cwd"] == str(tmp_path)


def test_datum_tries_counts_exact_attempts(client: Client, tmp_path: Path) -> None:
    counter = tmp_path / "attempts.log"
    fail = script(
        tmp_path,
        "fail",
        f"""
    with open({str(counter)!r}, "a") as f:
        f.write("attempt\\n")
    print("about to fail", file=sys.stderr)
    sys.exit(1)
    """,
    )
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"1")
    client.create_pipeline(spec("flaky", py(fail), pfs("in"), datum_tries=4))
    client.run_pending()
    assert counter.read_text().count("attempt") == 4
    job = last_job(client, "flaky")
    assert job.state == JobState.FAILURE and job.data_failed == 1
    assert "failed" in (job.reason or "")
    datum = client.list_datum(f"flaky@{job.id}")[0]
    assert (datum.state, datum.attempts) == (DatumState.FAILED, 4)
    lines = [line.line for _, line in client.logs(job=f"flaky@{job.id}")]
    assert lines.count("about to fail") == 4
    assert client.inspect_commit("flaky@master").error


def test_err_cmd_recovers_a_datum(client: Client, tmp_path: Path) -> None:
    fail = script(
        tmp_path, "fail", "pathlib.Path(os.environ['OUT'], 'x').write_text('1'); sys.exit(2)"
    )
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"1")
    body = spec("recover", py(fail), pfs("in"), datum_tries=2)
    body["transform"].update(err_cmd=["true"], env={"OUT": "/pfs/out"})
    client.create_pipeline(body)
    client.run_pending()
    job = last_job(client, "recover")
    assert job.state == JobState.SUCCESS and job.data_recovered == 1
    assert client.list_file("recover@master:/") == []  # a recovered datum's output is dropped
    client.put_file_bytes("in@master:/y", b"2")
    client.run_pending()
    job = last_job(client, "recover")
    assert (job.data_recovered, job.data_skipped) == (2, 0)  # recovered datums are not skipped


def test_accept_return_code_and_shell_commands(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"1")
    body = spec("codes", ["sh"], pfs("in"), transform_extra=None)
    body.pop("transform_extra")
    body["transform"].update(stdin=["cp $in /pfs/out/copied", "exit 3"], accept_return_code=[3])
    client.create_pipeline(body)
    client.run_pending()
    assert last_job(client, "codes").state == JobState.SUCCESS
    assert client.get_file("codes@master:/copied") == b"1"


def test_each_datum_and_attempt_starts_from_an_empty_pfs(client: Client, tmp_path: Path) -> None:
    """A worker reuses its scratch directory: nothing one datum or attempt leaves in /pfs
    (files, a directory, a chmod, its input) is seen by the next."""
    client.create_repo("a")
    client.create_repo("b")
    for name in ("x", "y", "z"):
        client.put_file_bytes(f"a@master:/{name}", name.encode())
    client.put_file_bytes("b@master:/w", b"w")
    body = spec(
        "fresh",
        ["sh"],
        {"union": [pfs("a"), pfs("b")]},
        datum_tries=2,
        parallelism_spec={"constant": 1},
    )
    body["transform"]["stdin"] = [
        "seen=$(ls -A /pfs /pfs/out | tr '\\n' ' ')",
        "mkdir -p /pfs/out/left/deep /pfs/litter && touch /pfs/out/left/deep/f /pfs/litter/f",
        "chmod 500 /pfs/out/left",
        'if [ ! -e "$MARK/$PACH_DATUM_ID" ]; then touch "$MARK/$PACH_DATUM_ID"; exit 1; fi',
        "rm -rf /pfs/out/left; chmod 700 /pfs/out",
        'echo "$seen" > /pfs/out/seen-$(basename ${a:-$b})',
    ]
    body["transform"]["env"] = {"MARK": str(tmp_path)}
    client.create_pipeline(body)
    client.run_pending()
    assert last_job(client, "fresh").state == JobState.SUCCESS
    seen = {p: v.decode().split() for p, v in outputs(client, "fresh").items()}
    assert sorted(seen) == ["/seen-w", "/seen-x", "/seen-y", "/seen-z"]
    for path, listing in seen.items():
        name = "b" if path == "/seen-w" else "a"
        shown = [item.rsplit("/pfs", 1)[-1] for item in listing]  # the scratch path cut off
        assert shown == [":", name, "out", "/out:"], (path, listing)


def test_two_datums_writing_one_path_fail_the_job_naming_both(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"1")
    client.put_file_bytes("in@master:/b", b"2")
    body = spec("clash", ["sh", "-c", "cp $in /pfs/out/same"], pfs("in"))
    client.create_pipeline(body)
    client.run_pending()
    job = last_job(client, "clash")
    datums = [d.id for d in client.list_datum(f"clash@{job.id}")]
    assert job.state == JobState.FAILURE
    assert "duplicate path output by different datums" in (job.reason or "")
    assert all(d in (job.reason or "") for d in datums)
    assert "duplicate path" in (client.inspect_commit("clash@master").error or "")


def test_file_directory_collision(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"1")
    client.put_file_bytes("in@master:/b", b"2")
    cmd = (
        'if [ "$(basename $in)" = a ]; then echo x > /pfs/out/p; '
        "else mkdir /pfs/out/p && echo y > /pfs/out/p/q; fi"
    )
    client.create_pipeline(spec("fd", ["sh", "-c", cmd], pfs("in")))
    client.run_pending()
    job = last_job(client, "fd")
    assert job.state == JobState.FAILURE and "file / directory path collision" in (job.reason or "")


def test_a_new_datum_writing_a_skipped_datums_path_fails_naming_both(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"1")
    client.create_pipeline(spec("late", ["sh", "-c", "cp $in /pfs/out/same"], pfs("in")))
    client.run_pending()
    (kept,) = [d.id for d in client.list_datum(f"late@{last_job(client, 'late').id}")]
    client.put_file_bytes("in@master:/b", b"2")
    client.run_pending()
    job = last_job(client, "late")
    assert (job.state, job.data_skipped) == (JobState.FAILURE, 1)
    assert "duplicate path output by different datums: /same" in (job.reason or "")
    assert kept in (job.reason or "")


def test_a_new_file_over_a_skipped_datums_directory_fails(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"1")
    cmd = (
        'if [ "$(basename $in)" = a ]; then mkdir /pfs/out/p && echo y > /pfs/out/p/q; '
        "else echo x > /pfs/out/p; fi"
    )
    client.create_pipeline(spec("fd2", ["sh", "-c", cmd], pfs("in")))
    client.run_pending()
    (kept,) = [d.id for d in client.list_datum(f"fd2@{last_job(client, 'fd2').id}")]
    client.put_file_bytes("in@master:/b", b"2")
    client.run_pending()
    job = last_job(client, "fd2")
    assert job.state == JobState.FAILURE
    assert "file / directory path collision: /p is a file of datum" in (job.reason or "")
    assert f"a directory of datum {kept}" in (job.reason or "")


def test_failure_makes_downstream_unrunnable_and_later_jobs_build_on_the_last_good_commit(
    client: Client, tmp_path: Path
) -> None:
    picky = script(
        tmp_path,
        "picky",
        """
    data = pathlib.Path(os.environ["in"]).read_bytes()
    if data == b"bad":
        sys.exit("bad input")
    pathlib.Path(os.environ["OUT"], pathlib.Path(os.environ["in"]).name).write_bytes(data)
    """,
    )
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"good")
    body = spec("first", py(picky), pfs("in", name="in"), datum_tries=1)
    body["transform"]["env"] = {"OUT": "/pfs/out"}
    client.create_pipeline(body)
    client.create_pipeline(
        spec("second", ["sh", "-c", "cp -r /pfs/first/. /pfs/out/"], pfs("first", "/"))
    )
    client.run_pending()
    good = client.inspect_commit("second@master")
    client.put_file_bytes("in@master:/b", b"bad")
    client.run_pending()
    assert last_job(client, "first").state == JobState.FAILURE
    second = last_job(client, "second")
    assert second.state == JobState.UNRUNNABLE
    assert "upstream pipelines failed: first" in (second.reason or "")
    assert client.inspect_commit("second@master").error
    client.put_file_bytes("in@master:/b", b"fine now")
    client.run_pending()
    assert last_job(client, "first").state == JobState.SUCCESS
    assert last_job(client, "second").state == JobState.SUCCESS
    assert outputs(client, "second") == {"/a": b"good", "/b": b"fine now"}
    assert good.is_finished


def test_update_keeps_the_salt_unless_reprocess(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    for name in "abc":
        client.put_file_bytes(f"in@master:/{name}", name.encode())
    make_copy(client, copy_script)
    client.run_pending()
    make_copy(client, copy_script, update=True, description="v2")
    client.run_pending()
    job = last_job(client, "upper")
    assert (job.version, job.data_processed, job.data_skipped) == (2, 0, 3)
    assert client.inspect_pipeline("upper").description == "v2"
    body = spec("upper", py(copy_script), pfs("in", name="in"))
    body["transform"]["env"] = {"OUT": "/pfs/out"}
    client.update_pipeline(body, reprocess=True)
    client.run_pending()
    job = last_job(client, "upper")
    assert (job.version, job.data_processed, job.data_skipped) == (3, 3, 0)
    with pytest.raises(AlreadyExists, match="update pipeline"):
        client.create_pipeline(body)


def test_reprocess_every_job(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"a")
    make_copy(client, copy_script, reprocess_spec="every_job")
    client.run_pending()
    client.put_file_bytes("in@master:/b", b"b")
    client.run_pending()
    assert last_job(client, "upper").data_processed == 2


def test_parallelism_runs_datums_at_once_and_timeouts_kill(client: Client, tmp_path: Path) -> None:
    stamp = script(
        tmp_path,
        "stamp",
        f"""
    start = time.time(); time.sleep(0.6)
    with open({str(tmp_path / "spans")!r}, "a") as f:
        f.write(f"{{start}} {{time.time()}}\\n")
    """,
    )
    client.create_repo("in")
    with client.commit("in@master"):
        for i in range(4):
            client.put_file_bytes(f"in@master:/{i}", b"x")
    client.create_pipeline(spec("par", py(stamp), pfs("in"), parallelism_spec={"constant": 2}))
    client.run_pending()
    spans = sorted(
        tuple(map(float, line.split())) for line in (tmp_path / "spans").read_text().splitlines()
    )
    assert len(spans) == 4
    assert spans[1][0] < spans[0][1], "two datums should run at the same time"

    client.create_pipeline(
        spec("slow", ["sleep", "30"], pfs("in"), datum_tries=1, datum_timeout="0.5s")
    )
    started = time.monotonic()
    client.run_pending()
    assert time.monotonic() - started < 20
    job = last_job(client, "slow")
    assert job.state == JobState.FAILURE and "timed out" in (job.reason or "")

    client.create_pipeline(spec("slowjob", ["sleep", "30"], pfs("in"), job_timeout="1s"))
    client.run_pending()
    job = last_job(client, "slowjob")
    assert job.state == JobState.KILLED and job.reason == "job timed out"


def test_children_left_behind_are_killed(client: Client, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"1")
    client.create_pipeline(
        spec("leaky", ["sh", "-c", f"sleep 60 & echo $! > {pidfile}"], pfs("in"))
    )
    client.run_pending()
    pid = int(pidfile.read_text())
    time.sleep(0.2)
    status = Path(f"/proc/{pid}/status")
    # Gone, or a zombie waiting for init to reap it: either way no longer running.
    assert not status.exists() or "State:\tZ" in status.read_text()


def test_user_code_cannot_change_its_inputs(client: Client, tmp_path: Path) -> None:
    vandal = script(tmp_path, "vandal", "open(os.environ['in'], 'a').write('scribble')")
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"precious")
    client.create_pipeline(spec("vandal", py(vandal), pfs("in"), datum_tries=1))
    client.run_pending()
    job = last_job(client, "vandal")
    assert job.state == JobState.FAILURE and "modified its input" in (job.reason or "")
    assert client.get_file("in@master:/x") == b"precious"
    assert client.fsck().ok


def test_stop_and_start_pipeline(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"a")
    make_copy(client, copy_script)
    client.stop_pipeline("upper")
    assert client.run_pending() == []
    assert last_job(client, "upper").state == JobState.CREATED
    assert client.inspect_pipeline("upper").state == "paused"
    client.start_pipeline("upper")
    assert [r.state for r in client.run_pending()] == [JobState.SUCCESS]


def test_stop_job_kills_a_waiting_job(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"a")
    make_copy(client, copy_script)
    job = last_job(client, "upper")
    client.stop_job(f"upper@{job.id}")
    assert last_job(client, "upper").state == JobState.KILLED
    assert client.inspect_commit("upper@master").error == "job stopped"
    with pytest.raises(Conflict, match="already ended"):
        client.stop_job(f"upper@{job.id}")


def test_restart_datum_reprocesses_it(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"a")
    client.put_file_bytes("in@master:/b", b"b")
    make_copy(client, copy_script)
    client.run_pending()
    job = last_job(client, "upper")
    target = client.list_datum(f"upper@{job.id}")[0].id
    client.restart_datum(f"upper@{job.id}", [target[:10]])
    client.run_pending()
    again = last_job(client, "upper")
    assert (again.data_processed, again.data_skipped) == (1, 1)
    states = {d.id: d.state for d in client.list_datum(f"upper@{again.id}")}
    assert states[target] == DatumState.SUCCESS


def test_cron_ticks_are_datums(client: Client) -> None:
    body = spec(
        "ticker",
        ["sh", "-c", "ls /pfs/tick > /pfs/out/$(basename $tick)"],
        {"cron": {"name": "tick", "spec": "@every 60s"}},
    )
    client.create_pipeline(body)
    assert "ticker_tick" in [r.name for r in client.list_repo()]
    client.run_cron("ticker")
    client.run_pending()
    time.sleep(1.1)
    client.run_cron("ticker")
    client.run_pending()
    job = last_job(client, "ticker")
    assert (job.data_total, job.data_processed, job.data_skipped) == (2, 1, 1)
    assert len(client.list_file("ticker@master:/")) == 2
    with pytest.raises(InvalidArgument, match="no cron input"):
        client.create_repo("plain")
        client.create_pipeline(spec("nocron", ["true"], pfs("plain")))
        client.run_cron("nocron")


def test_preview_datums_without_creating(client: Client, tmp_path: Path) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a/1", b"x")
    client.put_file_bytes("in@master:/b/2", b"x")
    path = tmp_path / "p.yaml"
    path.write_text(
        "pipeline: {name: preview}\ntransform: {cmd: ['true']}\n"
        "input: {pfs: {repo: in, glob: '/*'}}\n"
    )
    datums = client.preview_datums(str(path))
    assert [d.items[0].path for d in datums] == ["/a/", "/b/"]
    assert client.list_pipeline() == []


def test_a_pipeline_name_cannot_take_an_existing_repo(client: Client) -> None:
    client.create_repo("in")
    client.create_repo("taken")
    with pytest.raises(AlreadyExists, match="repo named 'taken'"):
        client.create_pipeline(spec("taken", ["true"], pfs("in")))


def test_delete_pipeline(client: Client, copy_script: str) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/a", b"a")
    make_copy(client, copy_script)
    client.run_pending()
    client.create_pipeline(spec("after", ["true"], pfs("upper")))
    with pytest.raises(Conflict, match="feeds after"):
        client.delete_pipeline("upper")
    client.delete_pipeline("after")
    client.delete_pipeline("upper")
    assert [r.name for r in client.list_repo()] == ["in"]
    assert client.fsck().ok


def test_empty_files_inputs_are_present_but_empty(client: Client) -> None:
    client.create_repo("in")
    client.put_file_bytes("in@master:/big", b"x" * 1000)
    body = spec("names", ["sh", "-c", "wc -c < $in > /pfs/out/size"], pfs("in", empty_files=True))
    client.create_pipeline(body)
    client.run_pending()
    assert client.get_file("names@master:/size").strip() == b"0"


def test_jobs_record_the_git_commit_of_the_project(client: Client, tmp_path: Path) -> None:
    import subprocess

    project = tmp_path / "project"
    project.mkdir()
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (project / "step.sh").write_text("cp $in /pfs/out/\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "step"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    client.create_repo("in")
    client.put_file_bytes("in@master:/x", b"1")
    client.create_pipeline(spec("gitted", ["sh", "step.sh"], pfs("in")), workdir=str(project))
    client.run_pending()
    assert last_job(client, "gitted").git_commit == head
    assert client.inspect_commit("gitted@master").git_commit == head
    (project / "step.sh").write_text("cp $in /pfs/out/ # changed\n")
    client.put_file_bytes("in@master:/y", b"2")
    client.run_pending()
    assert last_job(client, "gitted").git_commit == head + "+dirty"
