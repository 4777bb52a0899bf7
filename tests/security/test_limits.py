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
from tests.kernel.conftest import KernelSession, all_runs, artifact_json, make_project, store

# -- page tokens ------------------------------------------------------------------------------------


def page_token(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


BAD_OFFSETS = [
    '{"offset": 99999999999999999999}',  # past what SQLite holds
    '{"offset": 1e999}',  # infinity once parsed
    '{"offset": -5}',
    '{"offset": 1.5}',
    '{"offset": true}',
    '{"offset": "12abc"}',
    '{"offset": [1]}',
]


@pytest.mark.parametrize("raw", BAD_OFFSETS)
async def test_a_page_token_with_an_impossible_offset_is_a_400_with_a_message(jp_fetch, raw):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "runs", params={"page_token": page_token(raw)})
    assert error.value.code == 400
    answer = json.loads(error.value.response.body)
    assert answer["status"] == 400 and "invalid page token" in answer["message"]
    assert "\n" not in answer["message"] and "Overflow" not in answer["message"]


@pytest.mark.parametrize("raw", ['{"offset": 1}', '{"offset": "100"}', '{"offset": 9223372036854775807}'])
async def test_a_page_token_with_a_possible_offset_still_answers(jp_fetch, raw):
    answer = json.loads((await jp_fetch("jupyter-exp", "runs", params={"page_token": page_token(raw)})).body)
    assert answer["runs"] == []
