"""The reproduce dialog's time zone reaches the replay kernel through ``POST /reproductions``: the
recorded one by default, ``current`` (the server's own), or a zone by name; an unknown one is a 400."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_exp import record_schema as schema
from tests.server.test_jobs import wait_until_ended
from tests.support.kernels import artifact_json


@pytest.mark.parametrize(
    ("tz", "replayed_in"),
    [("current", "Etc/GMT+5"), ("Pacific/Kiritimati", "Pacific/Kiritimati")],
)
async def test_the_replay_kernel_runs_in_the_zone_the_request_names(
    api, seeded, monkeypatch, tz, replayed_in
):
    monkeypatch.setenv("TZ", "Etc/GMT+5")  # the server's zone, which its kernels inherit
    recorded = artifact_json(seeded.client, seeded.ids["alpha"], schema.ENVIRONMENT)["time_zone"]
    assert recorded["name"] != "Etc/GMT+5", recorded  # else "current" could not be told from "recorded"
    code, job = await api.post("reproductions", {"run_id": seeded.ids["alpha"], "tz": tz})
    assert code == 202
    ended = await wait_until_ended(api, job["id"])
    assert ended["state"] == "finished", ended
    replay = artifact_json(seeded.client, ended["reproduction_run_id"], schema.ENVIRONMENT)["time_zone"]
    assert replay["name"] == replayed_in, replay


async def test_an_unknown_zone_is_one_line_and_starts_nothing(api, seeded, jp_serverapp):
    with pytest.raises(HTTPClientError) as error:
        await api.post("reproductions", {"run_id": seeded.ids["alpha"], "tz": "Mars/Olympus_Mons"})
    message = json.loads(error.value.response.body)["message"]
    assert error.value.code == 400 and "\n" not in message
    assert message == (
        "tz must be a time zone name such as Europe/Paris, 'current' or null, got 'Mars/Olympus_Mons'"
    )
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
