"""The JSON API over the bundled AlexNet example (three resumed MXNet logs), through a TestClient.

Expected values are read from the logs: ``grep "Epoch\\[65\\] Validation-accuracy"`` finds
0.454613 in training_0.log and 0.593212 in training_65.log (the later file wins), epoch 99's is
0.617909, and validation lines run from epoch 0 to 99: 100 points.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from lossboard.server.app import create_app
from lossboard.store.base import Batch, Columns, SourceState
from lossboard.store.sqlite import SQLiteStore
from lossboard.store.urls import open_store
from tests.server.conftest import EXAMPLE, RUN

VAL = "val/accuracy"


def test_runs_lists_the_example_with_its_folder_format_and_last_step(client: TestClient) -> None:
    (run,) = client.get("/api/runs").json()["runs"]
    assert run["name"] == RUN
    assert run["path"] == str(EXAMPLE.absolute())
    assert run["formats"] == ["mxnet"]
    assert run["last_step"] == 1_099_000  # Epoch[99] Batch [10000], 11,000 batches an epoch: grep "Batch"
    assert run["color"].startswith("#")
    assert run["updated"] > 0


def test_tags_come_grouped_as_plot_groups_them(client: TestClient) -> None:
    answer = client.get("/api/tags", params={"run": RUN}).json()
    keys = [group["key"] for group in answer["groups"]]
    assert keys[:4] == ["accuracy", "loss", "lr", "throughput"]  # lr= in each file's Namespace line
    accuracy = answer["groups"][0]
    assert VAL in accuracy["tags"] and "val/top_k_accuracy_5" in accuracy["tags"]
    val = next(t for t in answer["tags"] if t["tag"] == VAL)
    assert (val["source_tag"], val["points"], val["last_value"]) == ("Validation-accuracy", 100, 0.617909)


def test_series_keeps_the_later_file_and_counts_every_point(client: TestClient) -> None:
    (series,) = client.get("/api/series", params={"run": RUN, "tag": VAL, "width": 1000}).json()["series"]
    assert series["total_points"] == 100 and len(series["step"]) == 100
    by_epoch = dict(zip(series["epoch"], series["value"]))
    assert by_epoch[65.0] == 0.593212 and by_epoch[99.0] == 0.617909
    assert series["smoothed"] is None


def test_series_downsampled_to_the_width_keeps_the_extremes(client: TestClient) -> None:
    full = client.get("/api/series", params={"run": RUN, "tag": VAL, "width": 1000}).json()["series"][0]
    (small,) = client.get("/api/series", params={"run": RUN, "tag": VAL, "width": 5}).json()["series"]
    assert small["total_points"] == 100
    assert len(small["value"]) <= 4 * 5
    assert max(small["value"]) == max(full["value"]) and min(small["value"]) == min(full["value"])


def test_a_zoom_on_the_epoch_axis_covers_each_series_own_steps(client: TestClient) -> None:
    """Epoch lines count steps in epochs, batch lines in iterations: one range serves both."""
    params = {"run": RUN, "tag": [VAL, "train_batch/accuracy"], "width": 1000, "x": "epoch", "from": 30, "to": 40}
    answer = {s["tag"]: s for s in client.get("/api/series", params=params).json()["series"]}
    val, batch = answer[VAL], answer["train_batch/accuracy"]
    inside = [e for e in val["epoch"] if 30 <= e <= 40]
    assert inside == [float(e) for e in range(30, 41)]
    assert min(val["epoch"]) >= 29 and max(val["epoch"]) <= 41  # one point either side at most
    assert batch["total_points"] < 1000 and min(batch["epoch"]) < 30.1 and max(batch["epoch"]) > 39.9


def test_smoothing_covers_every_point_whatever_the_zoom(client: TestClient) -> None:
    params = {"run": RUN, "tag": VAL, "width": 1000, "smoothing": "ema", "weight": 0.9}
    whole = client.get("/api/series", params=params).json()["series"][0]
    zoomed = client.get("/api/series", params={**params, "x": "step", "from": 50, "to": 60}).json()["series"][0]
    assert zoomed["step"] == list(range(50, 61))
    at = {step: value for step, value in zip(whole["step"], whole["smoothed"])}
    assert zoomed["smoothed"] == [at[step] for step in zoomed["step"]]
    assert zoomed["value"] == [v for s, v in zip(whole["step"], whole["value"]) if 50 <= s <= 60]
    assert zoomed["smoothed"] != zoomed["value"]


def test_moving_average_by_hand(client: TestClient) -> None:
    params = {"run": RUN, "tag": VAL, "width": 1000, "smoothing": "mean", "window": 2}
    series = client.get("/api/series", params=params).json()["series"][0]
    assert series["smoothed"][65] == pytest.approx((0.593212 + series["value"][64]) / 2)


def test_time_weighted_ema_by_hand(client: TestClient) -> None:
    """Epochs 0 and 1 (steps 0 and 1): 0.052451 holds (0, 1], 0.026202 the gap before, [-1, 0];
    with a half-life of 2 steps their weights at step 1 are 1 - 2**-0.5 and 2**-0.5 - 2**-1."""
    params = {"run": RUN, "tag": VAL, "width": 1000, "smoothing": "time_ema", "window": 2}
    series = client.get("/api/series", params=params).json()["series"][0]
    held = {0.052451: 1 - 2**-0.5, 0.026202: 2**-0.5 - 2**-1}
    assert series["step"][:2] == [0, 1]
    assert series["smoothed"][1] == pytest.approx(sum(v * w for v, w in held.items()) / sum(held.values()), rel=1e-9)
    assert len(series["smoothed"]) == series["total_points"] == 100


def test_a_range_without_points_is_empty_not_an_error(client: TestClient) -> None:
    for params in ({"x": "step", "from": 5000, "to": 6000}, {"x": "epoch", "from": 500, "to": 600}):
        for smoothing in ("none", "ema"):
            answer = client.get("/api/series", params={"run": RUN, "tag": VAL, "smoothing": smoothing, **params})
            assert answer.status_code == 200
            (series,) = answer.json()["series"]
            assert series["total_points"] == 0 and series["step"] == []


def test_a_tag_the_run_lacks_is_left_out(client: TestClient) -> None:
    assert client.get("/api/series", params={"run": RUN, "tag": "val/nothing"}).json() == {"series": []}


def test_events_hold_the_two_resumes(client: TestClient) -> None:
    events = client.get("/api/events", params={"run": RUN}).json()["events"][RUN]
    assert [e["epoch"] for e in events if e["kind"] == "resume"] == [65.0, 85.0]


@pytest.mark.parametrize("route", ["/api/tags", "/api/series", "/api/events"])
def test_an_unknown_run_is_404_naming_it(client: TestClient, route: str) -> None:
    answer = client.get(route, params={"run": "resnet-404", "tag": VAL})
    assert answer.status_code == 404
    assert "resnet-404" in answer.json()["error"]


@pytest.fixture(params=["sqlite", "postgres"])
def two_baselines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """An app over a store of each backend holding two runs named ``baseline``, in projA and
    projB: each goes by its folder (``projA/baseline``), so ``baseline`` names no run."""
    url = f"sqlite:///{tmp_path / 'index.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        with open_store(url) as store:
            store.drop_everything()
    with open_store(url) as store:
        for folder in ("projA", "projB"):
            state = SourceState(f"/p/{folder}/baseline/m.csv", f"/p/{folder}/baseline", "csv", 0, 1, 1, 1, 1,
                                run_name="baseline")
            one = np.array([1.0])
            store.apply(Batch(state, columns=[Columns(VAL, "val_acc", np.array([0]), one, one, one)]))
    with TestClient(create_app(lambda: open_store(url))) as client:
        yield client


def test_run_names_are_checked_by_display_name_on_every_backend(two_baselines: TestClient) -> None:
    for route in ("/api/tags", "/api/series", "/api/events"):
        answer = two_baselines.get(route, params={"run": ["projA/baseline", "baseline", "projC/baseline"], "tag": VAL})
        assert answer.status_code == 404
        error = answer.json()["error"]
        assert "'baseline'" in error and "'projC/baseline'" in error and "projA" not in error
    answer = two_baselines.get("/api/series", params={"run": ["projB/baseline", "projA/baseline"], "tag": VAL})
    assert [series["run"] for series in answer.json()["series"]] == ["projB/baseline", "projA/baseline"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"tag": VAL}, "give at least one run"),
        ({"run": RUN}, "give at least one tag"),
        ({"run": RUN, "tag": VAL, "width": "wide"}, "width must be a whole number"),
        ({"run": RUN, "tag": VAL, "width": 0}, "width must be between 1"),
        ({"run": RUN, "tag": VAL, "from": "x"}, "from must be a number"),
        ({"run": RUN, "tag": VAL, "from": 9, "to": 1}, "from low to high"),
        ({"run": RUN, "tag": VAL, "x": "iteration"}, "x must be one of step, epoch, wall_time"),
        ({"run": RUN, "tag": VAL, "smoothing": "gauss"}, "'gauss' is not one of none, ema, time_ema, mean"),
        ({"run": RUN, "tag": VAL, "smoothing": "ema", "weight": 1}, "weight must be in [0, 1)"),
        ({"run": RUN, "tag": VAL, "ends": 2}, "ends must be between 0 and 1"),
    ],
)
def test_bad_arguments_are_400_saying_what_is_wrong(client: TestClient, params: dict, says: str) -> None:
    answer = client.get("/api/series", params=params)
    assert answer.status_code == 400
    assert says in answer.json()["error"]


def from_columns(body: bytes) -> list[dict]:
    """The ``format=columns`` layout read back as docs/server-api.md spells it, non-finite as None."""
    length = int.from_bytes(body[:4], "little")
    assert (4 + length) % 8 == 0  # the columns start aligned, for the page's Float64Array
    offset, answer = 4 + length, []
    for series in json.loads(body[4:offset])["series"]:
        count, smoothed = series.pop("points"), series.pop("smoothed")
        for name in ("step", "epoch", "wall_time", "value") + (("smoothed",) if smoothed else ()):
            column = np.frombuffer(body, dtype="<f8", count=count, offset=offset)
            series[name] = [float(v) if math.isfinite(v) else None for v in column]
            offset += 8 * count
        series.setdefault("smoothed", None)
        answer.append(series)
    assert offset == len(body)
    return answer


@pytest.mark.parametrize(
    "params",
    [{"tag": [VAL, "train/accuracy"], "width": 30}, {"tag": VAL, "smoothing": "time_ema", "window": 3},
     {"tag": VAL, "from": 1e9}, {"tag": "val/nothing"}, {"tag": "opt/lr", "ends": 1}],
)
def test_the_columns_layout_holds_what_the_json_holds(client: TestClient, params: dict) -> None:
    """What the page reads: the same series, columns and nulls as the JSON answer, in fewer bytes."""
    wanted = {"run": RUN, **params}
    answer = client.get("/api/series", params={**wanted, "format": "columns"})
    assert answer.headers["content-type"] == "application/vnd.lossboard.columns"
    assert from_columns(answer.content) == client.get("/api/series", params=wanted).json()["series"]


def test_the_columns_layout_keeps_json_errors(client: TestClient) -> None:
    unknown = client.get("/api/series", params={"run": "resnet-404", "tag": VAL, "format": "columns"})
    assert unknown.status_code == 404 and "resnet-404" in unknown.json()["error"]
    odd = client.get("/api/series", params={"run": RUN, "tag": VAL, "format": "xml"})
    assert odd.status_code == 400 and "format must be json or columns" in odd.json()["error"]


def test_a_store_that_is_gone_is_503_and_comes_back(tmp_path: Path, example_url: str) -> None:
    path = Path(example_url.removeprefix("sqlite://"))
    moved = path.with_name("moved.sqlite")
    path.rename(moved)
    with TestClient(create_app(lambda: SQLiteStore(example_url, create=False))) as client:
        answer = client.get("/api/runs")
        assert answer.status_code == 503
        assert str(path) in answer.json()["error"] and "lossboard index" in answer.json()["error"]
        moved.rename(path)
        assert client.get("/api/runs").status_code == 200


def test_a_store_broken_under_an_open_connection_is_503(example_url: str) -> None:
    path = Path(example_url.removeprefix("sqlite://"))
    with TestClient(create_app(lambda: SQLiteStore(example_url, create=False))) as client:
        assert client.get("/api/runs").status_code == 200
        for leftover in path.parent.glob(path.name + "-*"):  # the WAL and its index
            leftover.unlink()
        path.write_bytes(b"not a database" * 4096)
        answer = client.get("/api/runs")
        assert answer.status_code == 503
        assert answer.json()["error"].startswith("the store failed")


def test_json_writes_nan_and_infinity_as_null(tmp_path: Path) -> None:
    log = tmp_path / "nan" / "train.log"
    log.parent.mkdir()
    log.write_text("epoch=1 loss=nan\nepoch=2 loss=inf\nepoch=3 loss=0.5\n")
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    from lossboard.store.indexer import index_paths

    with SQLiteStore(url) as store:
        index_paths(store, [log.parent])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        run = client.get("/api/runs").json()["runs"][0]["name"]
        (series,) = client.get("/api/series", params={"run": run, "tag": "train/loss"}).json()["series"]
        columns = client.get("/api/series", params={"run": run, "tag": "train/loss", "format": "columns"}).content
    assert series["value"] == [None, None, 0.5]
    assert not any(isinstance(v, float) and math.isnan(v) for v in series["value"])
    values = np.frombuffer(columns, dtype="<f8")[-3:]  # the last column: the values, as they are
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == 0.5


def test_the_page_and_its_files_are_served_with_a_content_security_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'src="app.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert client.get("/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/api/runs").headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fpyproject.toml"])
def test_no_path_leaves_the_static_folder(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "root:" not in answer.text


def test_two_series_sharing_a_label_both_come_back_each_with_its_own_range(tmp_path: Path) -> None:
    """``Loss/train`` at steps 0-9 and ``train_loss`` at steps 100-104 are both ``train/loss``:
    two series, each counted and zoomed on its own steps."""
    from lossboard import SummaryWriter
    from lossboard.store.indexer import index_paths

    with SummaryWriter(tmp_path / "logs" / "twin") as writer:
        for step in range(10):
            writer.add_scalar("Loss/train", 1.0 - step / 10, step)
        for step in range(100, 105):
            writer.add_scalar("train_loss", 0.5, step)
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [tmp_path / "logs"])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        found = client.get("/api/series", params={"run": "twin", "tag": "train/loss"}).json()["series"]
        assert {s["source_tag"]: s["total_points"] for s in found} == {"Loss/train": 10, "train_loss": 5}
        zoomed = client.get("/api/series", params={"run": "twin", "tag": "train/loss", "from": 5, "to": 102}).json()
        assert {s["source_tag"]: s["step"] for s in zoomed["series"]} == {"Loss/train": [5, 6, 7, 8, 9],
                                                                          "train_loss": [100, 101, 102]}
        smoothed = client.get("/api/series", params={"run": "twin", "tag": "train/loss", "smoothing": "ema"}).json()
        assert sorted(s["source_tag"] for s in smoothed["series"]) == ["Loss/train", "train_loss"]


def test_hyper_parameters_are_not_charted(tmp_path: Path) -> None:
    """Issue 11: hparams are a table, not a curve (the dashboard's hparams card shows them)."""
    from lossboard import SummaryWriter
    from lossboard.server.api import tags
    from lossboard.store.indexer import index_paths
    from lossboard.store.sqlite import SQLiteStore

    with SummaryWriter(tmp_path / "run") as writer:
        writer.add_scalar("train/loss", 0.5, 1)
        writer.add_scalar("hparam/accuracy", 0.9, 1)
    with SQLiteStore(":memory:") as store:
        index_paths(store, [tmp_path])
        found = tags(store, ["run"])
    charted = {tag for group in found["groups"] for tag in group["tags"]}
    assert charted == {"train/loss"} and "hparam/accuracy" in {t["tag"] for t in found["tags"]}


def test_concurrent_requests_share_a_few_store_connections(example_url: str) -> None:
    """Each request thread holds its own store connection (SQLite: its own page cache), so the
    server answers from a small pool of threads whatever the number of requests at once."""
    from concurrent.futures import ThreadPoolExecutor

    from lossboard.server.app import REQUEST_THREADS

    opened = []

    def open_store() -> SQLiteStore:
        opened.append(1)
        return SQLiteStore(example_url, create=False)

    with TestClient(create_app(open_store)) as client, ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda _: client.get("/api/runs").status_code, range(96)))
    assert answers == [200] * 96
    assert 1 <= len(opened) <= REQUEST_THREADS


def test_a_chart_leaving_wall_times_out_gets_the_same_points_and_epochs(tmp_path: Path) -> None:
    """``times=epoch`` (a chart against steps or epochs: its tooltip names the epoch) and
    ``times=none``: the same steps, values and smoothed values as every column, the columns left
    out null, in JSON and in columns; a name it does not know is a 400."""
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    step = np.arange(60_000)
    value = np.sin(step / 700.0)
    value[[123, 45_678]] = [9.0, np.nan]
    with SQLiteStore(url) as store:
        store.apply(Batch(SourceState("/logs/a/train.csv", "/logs/a", "csv", 0, 1, 1, 1, 1),
                          columns=[Columns("train/loss", "loss", step, step / 600, 1.7e9 + step * 0.5, value)]))
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        for params in ({"width": 300}, {"width": 300, "from": 1_000, "to": 50_000}, {"width": 300, "smoothing": "ema"},
                       {"width": 300, "x": "epoch", "from": 10, "to": 20}):
            wanted = {"run": "a", "tag": "train/loss", **params}
            (every,) = client.get("/api/series", params=wanted).json()["series"]
            assert None not in every["wall_time"] and len(every["step"]) > 300
            for times, kept in (("epoch", ("epoch",)), ("none", ())):
                (answer,) = client.get("/api/series", params={**wanted, "times": times}).json()["series"]
                assert from_columns(client.get("/api/series", params={**wanted, "times": times, "format": "columns"}).content) == [answer]
                for name in ("step", "value", "smoothed", "total_points"):
                    assert answer[name] == every[name]
                assert answer["epoch"] == (every["epoch"] if kept else [None] * len(every["step"]))
                assert answer["wall_time"] == [None] * len(every["step"])
        odd = client.get("/api/series", params={"run": "a", "tag": "train/loss", "times": "wall"})
        assert odd.status_code == 400 and "times must be one of all, epoch, none" in odd.json()["error"]


def test_a_series_asked_with_ends_says_where_its_run_ends_on_every_axis(client: TestClient) -> None:
    # the example sets its last learning rate at epoch 85 (step 85 x 11,000) and trains on to
    # Epoch[99] Batch [10000]: the lr chart holds that rate to there, as `lossboard plot` does
    (lr,) = client.get("/api/series", params={"run": RUN, "tag": "opt/lr", "width": 50, "ends": 1}).json()["series"]
    assert (lr["step"][-1], lr["epoch"][-1]) == (935_000, 85)
    end = lr["run_end"]
    assert end["step"] == 1_099_000  # 99 x 11,000 + 10,000
    assert end["epoch"] == pytest.approx(99 + 10_000 / 11_000)  # the batch's fraction of its epoch
    assert end["wall_time"] is None  # MXNet's Speedometer lines carry no clock
    (plain,) = client.get("/api/series", params={"run": RUN, "tag": "opt/lr", "width": 50}).json()["series"]
    assert "run_end" not in plain


def test_a_run_end_on_the_wall_clock_is_its_latest_series_last_time(tmp_path: Path) -> None:
    from lossboard import SummaryWriter
    from lossboard.store.indexer import index_paths

    with SummaryWriter(tmp_path / "logs" / "sched") as writer:
        for step in range(10):
            writer.add_scalar("train/loss", 1.0 - step / 10, step, walltime=1000.0 + step)
            if step in (0, 4):
                writer.add_scalar("lr", 0.1 / (step + 1), step, walltime=1000.0 + step)
        writer.add_scalar("val/loss", 0.4, 9, walltime=2000.0)  # the same last step, logged later
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [tmp_path / "logs"])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        (lr,) = client.get("/api/series", params={"run": "sched", "tag": "opt/lr", "ends": 1}).json()["series"]
    assert lr["step"] == [0, 4]
    assert lr["run_end"] == {"step": 9, "epoch": None, "wall_time": 2000.0}
