"""The tools, on a real engine's services and real local sandboxes with the real w2s runner."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from engine.tools.tool import OUTPUT_CAP


@pytest.fixture
async def tools(open_engine):
    engine = await open_engine(agents={"count": 2})
    boxes = {}
    for agent_id in ("a1", "a2"):
        sandbox = await engine.swarm.make_sandbox(agent_id)
        boxes[agent_id] = engine.swarm.make_toolbox(SimpleNamespace(id=agent_id), sandbox)
    yield engine, boxes
    for box in boxes.values():
        await box.env.sandbox.stop()
        await box.env.sandbox.remove()
    await engine.close()


async def test_malformed_calls_come_back_as_errors_the_brain_can_read(tools):
    _, boxes = tools
    box = boxes["a1"]
    unknown = await box.call("launch_missiles", {})
    assert not unknown.ok and "run_command" in unknown.error
    missing = await box.call("read_file", {})
    assert not missing.ok and "path" in missing.error
    extra = await box.call("read_file", {"path": "x", "rm": True})
    assert not extra.ok and "rm" in extra.error
    bad_config = await box.call("run_experiment", {"config": {"lr": -1}})
    assert not bad_config.ok and "lr" in bad_config.error
    outside = await box.call("read_file", {"path": "/etc/shadow"})
    assert not outside.ok


async def test_outputs_are_capped(tools):
    _, boxes = tools
    res = await boxes["a1"].call("run_command", {"command": "python -c \"print('x' * 100000)\""})
    assert res.ok and res.truncated and len(res.output) <= OUTPUT_CAP + 200


async def test_command_output_is_streamed_as_events(tools):
    engine, boxes = tools
    await boxes["a1"].call("run_command", {"command": "echo one; echo two >&2"})
    await engine.events.flush()
    lines = [e.payload for e in await engine.events.read(0) if e.kind == "command_output"]
    assert ("stdout", "one") in [(p.stream, p.line) for p in lines]
    assert ("stderr", "two") in [(p.stream, p.line) for p in lines]


async def test_a_submission_names_its_method_by_its_whole_config(tools):
    # The offline researcher submits with the normalised config, every field of it.
    engine, boxes = tools
    ran = await boxes["a1"].call("run_experiment", {"config": {"epochs": 1}})
    method = json.dumps(ran.data["config"], sort_keys=True)
    sub = await boxes["a1"].call("submit", {"path": ran.data["predictions"], "method": method})
    assert sub.ok, sub.error
    await engine.events.flush()
    snapshot = await engine.view().snapshot()
    (entry,) = [e for e in snapshot.leaderboard if e.submission_id == sub.data["submission_id"]]
    assert json.loads(entry.method) == ran.data["config"]


async def test_experiment_registry_submit_result_snapshot_and_copy(tools):
    engine, boxes = tools
    config = {"loss": "logconf", "epochs": 1}
    first = await boxes["a1"].call("run_experiment", {"config": config})
    assert first.ok, first.output
    assert not first.data["reused"] and "agreement_with_weak_labels" in first.data["diagnostics"]
    # The same config from another agent is answered from the registry, files and all.
    second = await boxes["a2"].call("run_experiment", {"config": {"epochs": 1, "loss": "logconf"}})
    assert second.data["reused"] and second.data["digest"] == first.data["digest"]
    assert second.data["ran_by"] == "a1"
    assert await boxes["a2"].env.sandbox.read_file(second.data["predictions"])
    # A result post needs a submission; the submission links the experiment.
    refused = await boxes["a1"].call("forum_post", {"kind": "result", "title": "t", "body": "b"})
    assert not refused.ok and "submission" in refused.error
    sub = await boxes["a1"].call("submit", {"path": first.data["predictions"]})
    assert sub.ok and sub.data["scored"] and sub.data["experiment"] == first.data["digest"]
    await boxes["a1"].call("write_file", {"path": "train.py", "content": "print('my method')"})
    post = await boxes["a1"].call(
        "forum_post",
        {
            "kind": "result",
            "title": "logconf",
            "body": "b",
            "submission_id": sub.data["submission_id"],
        },
    )
    assert post.ok and "train.py" in post.data["snapshot_files"]
    assert not any(f.endswith(".preds.json") for f in post.data["snapshot_files"])
    copied = await boxes["a2"].call("copy_snapshot", {"post_id": post.data["id"]})
    assert copied.ok
    text = await boxes["a2"].env.sandbox.read_file(f"snapshots/post{post.data['id']}/train.py")
    assert text == b"print('my method')"
    looked = await boxes["a2"].call("experiment_lookup", {"config": config})
    assert looked.data["found"] and looked.data["public"]["pgr"] == sub.data["public"]["pgr"]
    await engine.events.flush()
    finished = [
        e.payload
        for e in await engine.events.read(0, limit=5000)
        if e.kind == "experiment_finished"
    ]
    assert [p.reused for p in finished] == [False, True]
    assert json.loads((await engine.registry.list())[0].model_dump_json())["reuses"] == 1


async def test_copy_snapshot_refuses_paths_out_of_the_workspace(tools):
    _, boxes = tools
    res = await boxes["a1"].call("copy_snapshot", {"post_id": 1, "dest": "../../etc"})
    assert not res.ok and "relative path inside your workspace" in res.error


async def test_experiment_lookup_shows_what_other_agents_are_running_now(tools):
    # The swarm's one view of pending trials: a1's experiment in flight, seen by a2 alone.
    engine, boxes = tools
    config = {"loss": "logconf", "epochs": 3}
    running = asyncio.create_task(boxes["a1"].call("run_experiment", {"config": config}))
    deadline = time.monotonic() + 60
    while not await engine.registry.running():
        assert time.monotonic() < deadline and not running.done(), "the experiment never ran"
        await asyncio.sleep(0.01)
    seen = await boxes["a2"].call("experiment_lookup", {"config": {"epochs": 1}})
    own = await boxes["a1"].call("experiment_lookup", {"config": {"epochs": 1}})
    assert seen.ok and [p["by"] for p in seen.data["in_flight"]] == ["a1"]
    assert seen.data["in_flight"][0]["config"]["loss"] == "logconf"
    assert own.data["in_flight"] == []
    assert (await running).ok
    after = await boxes["a2"].call("experiment_lookup", {"config": {"epochs": 1}})
    assert after.data["in_flight"] == []


async def test_experiment_lookup_lists_what_others_submissions_were_told_and_nothing_more(tools):
    # The registry's trials for a search: each of a1's scored submissions, as a1 was told it
    # (a release, or none above the best a1 held then), read by a2 and never by a1 itself.
    _, boxes = tools
    subs = []
    for epochs in (1, 2):
        ran = await boxes["a1"].call("run_experiment", {"config": {"epochs": epochs}})
        sub = await boxes["a1"].call("submit", {"path": ran.data["predictions"]})
        assert sub.ok, sub.error
        subs.append((ran.data["config"], sub.data))
    seen = await boxes["a2"].call("experiment_lookup", {"config": {}, "scored_after": 0})
    assert seen.ok, seen.error
    assert [v["submission_id"] for v in seen.data["scored"]] == [
        s["submission_id"] for _, s in subs
    ]
    first, second = seen.data["scored"]
    assert first["released"] == subs[0][1]["public"] and first["held"] is None
    assert second["released"] == subs[1][1]["public"]
    # Held: the best released to a1 before its second submission, which is its first.
    assert second["held"] == subs[0][1]["best"]
    assert [v["config"] for v in seen.data["scored"]] == [c for c, _ in subs]
    # What the submitter was told, no more: no private score, no predictions, no labels.
    assert all(
        set(v) == {"submission_id", "by", "config", "diagnostics", "released", "held", "flags"}
        for v in seen.data["scored"]
    )
    # The registry's label-free diagnostics, as a lookup of the config itself gives them.
    for v in seen.data["scored"]:
        found = await boxes["a2"].call("experiment_lookup", {"config": v["config"]})
        assert found.data["found"] and v["diagnostics"] == found.data["diagnostics"]
        assert "agreement_with_weak_labels" in v["diagnostics"]
    assert all("private" not in json.dumps(v) for v in seen.data["scored"])
    assert f"#{subs[1][1]['submission_id']} a1" in seen.output
    later = await boxes["a2"].call(
        "experiment_lookup", {"config": {}, "scored_after": subs[0][1]["submission_id"]}
    )
    assert [v["submission_id"] for v in later.data["scored"]] == [subs[1][1]["submission_id"]]
    own = await boxes["a1"].call("experiment_lookup", {"config": {}, "scored_after": 0})
    assert own.data["scored"] == []
    plain = await boxes["a2"].call("experiment_lookup", {"config": {}})
    assert "scored" not in plain.data
    bad = await boxes["a2"].call("experiment_lookup", {"config": {}, "scored_after": -1})
    assert not bad.ok and "scored_after" in bad.error
