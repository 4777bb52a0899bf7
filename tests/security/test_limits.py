"""Size limits that keep the record alive: a cell of thousands of literal assignments logs at most
``JupyterExp.max_params`` params (what was cut is named on the run and on the card) and its run completes;
params are written in about n/100 store calls, sent once; page tokens with offsets no store can skip to are
a 400 with a message, not a 502."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from tornado.httpclient import HTTPClientError

from jupyter_exp import record_schema as schema
from jupyter_exp.tracking.completion import deliver_entry
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry, host_name
from jupyter_exp.tracking.recorder import send_params
from tests.support.kernels import OpenKernel, all_runs, artifact_json, make_project, store

# -- page tokens ------------------------------------------------------------------------------------


def page_token(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# each impossible offset beside a possible one of the same kind, which still answers
OFFSETS = [
    ('{"offset": 99999999999999999999}', '{"offset": 9223372036854775807}'),  # past what SQLite holds
    ('{"offset": 1e999}', '{"offset": 1}'),  # infinity once parsed
    ('{"offset": -5}', '{"offset": 5}'),
    ('{"offset": 1.5}', '{"offset": 1}'),
    ('{"offset": true}', '{"offset": 1}'),
    ('{"offset": "12abc"}', '{"offset": "12"}'),
    ('{"offset": [1]}', '{"offset": 1}'),
]


@pytest.mark.parametrize(("bad", "good"), OFFSETS)
async def test_a_page_token_with_an_impossible_offset_is_a_400_with_a_message(jp_fetch, bad, good):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "runs", params={"page_token": page_token(bad)})
    assert error.value.code == 400
    answer = json.loads(error.value.response.body)
    assert answer["status"] == 400 and "invalid page token" in answer["message"]
    assert "\n" not in answer["message"] and "Overflow" not in answer["message"]
    fine = await jp_fetch("jupyter-exp", "runs", params={"page_token": page_token(good)})
    assert json.loads(fine.body)["runs"] == []


# -- params: a cap, and each sent once in batches ---------------------------------------------------

CARD_TEXTS = (
    "import gc\nfrom jupyter_exp.ipython.widgets import RunCard\n"
    "print([c.text() for c in gc.get_objects() if isinstance(c, RunCard)])"
)
ASSIGNMENTS = 5000


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_cell_of_thousands_of_assignments_logs_at_most_max_params_and_completes(
    tmp_path: Path, kernel_session: OpenKernel
) -> None:
    root = make_project(tmp_path)
    body = "\n".join(f"v{i} = {i}" for i in range(ASSIGNMENTS))
    session = kernel_session(root)
    assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
    assert session.run("%config JupyterExp.max_params = 250")[0]["status"] == "ok"
    reply, outputs = session.run(f"%%track --param batch=32\n{body}")  # waits until the run is complete
    assert reply["status"] == "ok", outputs
    assert session.run(f"assert v{ASSIGNMENTS - 1} == {ASSIGNMENTS - 1}")[0]["status"] == "ok"
    _, card = session.run(CARD_TEXTS)
    session.close()
    client = store(root)
    (run,) = all_runs(client)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert len(params) == 250 and params["seed"] and params["batch"] == "32" and params["v0"] == "0"
    note = run.data.tags[schema.RECORD_INCOMPLETE]
    assert f"{ASSIGNMENTS + 2} captured, 250 logged (JupyterExp.max_params = 250)" in note, note
    assert f"{ASSIGNMENTS + 2 - 250} cut (v248, v249," in note, note
    config = artifact_json(client, run.info.run_id, "config.json")
    assert len(config) == ASSIGNMENTS + 1 and config[f"v{ASSIGNMENTS - 1}"]["value"] == ASSIGNMENTS - 1
    shown = "".join(o.get("text", "") for o in card if o["type"] == "stream")
    assert "250 logged (JupyterExp.max_params = 250)" in shown, shown


class CountingClient(MlflowClient):
    """A real client to a real store that counts the batches carrying params it sends."""

    param_batches = 0

    def log_batch(
        self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = (), **kwargs: Any
    ) -> Any:
        if params:
            self.param_batches += 1
        return super().log_batch(run_id, metrics=metrics, params=params, tags=tags, **kwargs)


def journaled_run(tmp_path: Path, params: dict[str, str], tags: dict[str, str] | None = None) -> tuple:
    """A run in a SQLite store and its journal entry holding ``params`` (as a cell leaves them)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = CountingClient(uri)
    experiment = client.create_experiment("limits", artifact_location=str(tmp_path / "artifacts"))
    run = client.create_run(experiment)
    meta = EntryMeta(run.info.run_id, uri, experiment, host_name(), 0, None, run.info.start_time)
    entry = JournalEntry.create(tmp_path / "journal", meta)
    entry.merge("params.json", params)
    entry.merge("tags.json", tags or {})
    entry.write_end("FINISHED", run.info.start_time + 1)
    return client, run.info.run_id, entry


N = 1000
PARAMS = {f"p{i}": str(i) for i in range(N)}


def test_params_are_sent_once_in_batches_of_a_hundred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch costs the store a read of every param the run already holds: the params the kernel sent
    while the cell ran are not sent again on delivery (that doubled the quadratic part), and what is left
    goes in batches of a hundred (to a SQLite store each one transaction, tracking/param_sink.py)."""
    from jupyter_exp.tracking import completion

    batches: list[int] = []
    send = completion.send_params

    def counted(client: Any, run_id: str, params: dict[str, str]) -> None:
        batches.append(len(params))
        send(client, run_id, params)

    monkeypatch.setattr(completion, "send_params", counted)
    client, run_id, entry = journaled_run(tmp_path, PARAMS)
    send_params(client, run_id, PARAMS)  # as the kernel's capture thread does while the cell runs
    delivered = deliver_entry(client, entry)
    assert batches == []  # nothing sent twice
    assert delivered.params == N and delivered.refused == []
    assert client.get_run(run_id).data.params == PARAMS

    client, run_id, entry = journaled_run(tmp_path / "unsent", PARAMS)  # the kernel died before sending
    delivered = deliver_entry(client, entry)
    assert batches == [100] * math.ceil(N / 100)
    assert client.get_run(run_id).data.params == PARAMS


def test_a_refused_param_costs_a_few_batches_not_one_per_param(tmp_path: Path) -> None:
    odd = {**PARAMS, "odd key!": "1"}
    client, run_id, entry = journaled_run(tmp_path, odd)
    delivered = deliver_entry(client, entry)
    assert client.param_batches <= math.ceil(len(odd) / 100) + 2 * math.ceil(math.log2(100)), (
        client.param_batches
    )
    run = client.get_run(run_id)
    assert run.data.params == PARAMS  # every param the store takes
    assert [r.split(":")[0] for r in delivered.refused] == ["param 'odd key!'"]
    assert "odd key!" in run.data.tags[schema.RECORD_INCOMPLETE]


def test_what_the_kernel_noted_as_cut_stays_on_the_run(tmp_path: Path) -> None:
    note = "params: 5002 captured, 250 logged (JupyterExp.max_params = 250); ..."
    client, run_id, entry = journaled_run(tmp_path, {"lr": "0.1"}, {schema.RECORD_INCOMPLETE: note})
    client.set_tag(run_id, schema.RECORD_INCOMPLETE, note)  # as the kernel set it when the run started
    deliver_entry(client, entry)
    assert client.get_run(run_id).data.tags[schema.RECORD_INCOMPLETE] == note
