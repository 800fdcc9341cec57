"""Media through the JSON API: what `lossboard.SummaryWriter` wrote comes back, from the run's
own files only.

The run is written here by the real writer, in TensorBoard's format (images are records at an
offset of the event file) and in lossboard's own (images are PNG files beside it); expected
values are what the test logged.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from lossboard import SummaryWriter
from lossboard.server.app import create_app
from lossboard.store.indexer import index_paths
from lossboard.store.sqlite import SQLiteStore

STEPS = [0, 10, 20, 30, 40]
LABELS = np.array([1, 1, 1, 0, 0, 0, 1, 0])  # half positive: at threshold 0 everything is called positive
PREDICTIONS = np.array([0.9, 0.8, 0.35, 0.3, 0.2, 0.1, 0.6, 0.7])


def stripes(step: int) -> np.ndarray:
    """An 8x8 RGB image whose first ``step // 10 + 1`` columns are red: each step its own."""
    image = np.zeros((3, 8, 8), np.uint8)
    image[0, :, : step // 10 + 1] = 255
    return image


def write_media_run(log_dir: Path, *, format: str = "tfevents") -> None:
    with SummaryWriter(log_dir, format=format) as writer:
        for step in STEPS:
            writer.add_scalar("train/loss", 1 / (1 + step), step)
            writer.add_image("samples/input", stripes(step), step)
            writer.add_histogram("weights/fc", np.full(100, step / 10.0), step)
            writer.add_text("notes", f"step {step} <b>bold</b>", step)
            writer.add_pr_curve("pr/val", LABELS, PREDICTIONS, step, num_thresholds=11)
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/accuracy": 0.9})


AUDIO_RATE = 8000


def tone(step: int) -> np.ndarray:
    """A 440 Hz tone of ``800 + 8 * step`` samples at amplitude ``(step + 10) / 100``: each step its own."""
    time = np.arange(800 + 8 * step) / AUDIO_RATE
    return (step + 10) / 100 * np.sin(2 * np.pi * 440 * time)


def write_audio(writer: SummaryWriter) -> None:
    for step in STEPS:
        writer.add_audio("speech/sample", tone(step), step, sample_rate=AUDIO_RATE)


def decoded(png: bytes) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")


@pytest.fixture(params=["tfevents", "lossboard"])
def media_client(request, tmp_path: Path):
    write_media_run(tmp_path / "logs" / "run1", format=request.param)
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [tmp_path / "logs"])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        client.logs = tmp_path / "logs"
        yield client


def test_the_listing_gives_every_stored_step_per_tag(media_client: TestClient) -> None:
    listed = media_client.get("/api/media", params={"run": "run1"}).json()["media"]
    by_tag = {item["tag"]: item for item in listed}
    assert by_tag["samples/input"]["kind"] == "image" and by_tag["samples/input"]["steps"] == STEPS
    assert by_tag["weights/fc"]["kind"] == "histogram" and by_tag["weights/fc"]["steps"] == STEPS
    assert by_tag["notes"]["kind"] == "text" and by_tag["notes"]["steps"] == STEPS
    only = media_client.get("/api/media", params={"run": "run1", "kind": "image"}).json()["media"]
    assert [item["tag"] for item in only] == ["samples/input"]


def test_an_image_comes_back_as_the_bytes_logged_at_that_step(media_client: TestClient) -> None:
    for step in (0, 30):
        answer = media_client.get("/api/media/item", params={"run": "run1", "tag": "samples/input", "step": step})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        pixels = decoded(answer.content)
        assert pixels.shape[:2] == (8, 8)
        red_columns = int((pixels[0, :, 0] > 0.5).sum())
        assert red_columns == step // 10 + 1


def test_a_sound_comes_back_as_the_wav_logged_at_that_step(tmp_path: Path) -> None:
    import wave

    with SummaryWriter(tmp_path / "logs" / "voice") as writer:  # TensorBoard's format: sounds are records in it
        write_audio(writer)
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [tmp_path / "logs"])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        (listed,) = client.get("/api/media", params={"run": "voice"}).json()["media"]
        assert (listed["kind"], listed["tag"], listed["steps"]) == ("audio", "speech/sample", STEPS)
        for step in (0, 30):
            answer = client.get("/api/media/item", params={"run": "voice", "tag": "speech/sample", "step": step})
            assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
            with wave.open(io.BytesIO(answer.content)) as sound:
                assert (sound.getframerate(), sound.getnframes()) == (AUDIO_RATE, 800 + 8 * step)
                samples = np.frombuffer(sound.readframes(sound.getnframes()), dtype="<i2")
            assert np.abs(samples).max() / 32767 == pytest.approx((step + 10) / 100, abs=1e-3)
        missing = client.get("/api/media/item", params={"run": "voice", "tag": "speech/sample", "step": 5})
        assert missing.status_code == 404 and "no media 'speech/sample' at step 5" in missing.json()["error"]
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_histogram_text_and_hparams_come_back_as_json(media_client: TestClient) -> None:
    get = lambda tag, step: media_client.get("/api/media/item", params={"run": "run1", "tag": tag, "step": step})
    histogram = get("weights/fc", 20).json()
    assert histogram["kind"] == "histogram"
    assert histogram["data"]["num"] == 100 and histogram["data"]["min"] == histogram["data"]["max"] == 2.0
    assert sum(histogram["data"]["bucket_counts"]) == 100
    text = get("notes", 10).json()
    assert text["data"]["text"] == "step 10 <b>bold</b>"  # as logged: the page shows it as text


def test_the_hparams_table_has_a_row_per_run_with_final_metrics(media_client: TestClient) -> None:
    table = media_client.get("/api/hparams", params={"run": "run1"}).json()
    assert table["hparams"] == ["lr", "optimizer"]
    (row,) = table["runs"]
    assert row["hparams"] == {"lr": 0.1, "optimizer": "sgd"}
    assert row["metrics"]["train/loss"] == pytest.approx(1 / 41)  # logged last at step 40
    assert row["metrics"]["hparam/accuracy"] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"run": "nope", "tag": "notes", "step": 0}, 404, "no run named 'nope'"),
        ({"run": "run1", "tag": "notes", "step": 5}, 404, "no media 'notes' at step 5"),
        ({"run": "run1", "tag": "notes"}, 400, "give the step"),
        ({"run": "run1", "tag": "notes", "step": "x"}, 400, "step must be a whole number"),
        ({"run": "run1", "step": 0}, 400, "give the tag"),
    ],
)
def test_a_bad_item_request_is_a_clear_json_error(media_client: TestClient, params, status, says) -> None:
    answer = media_client.get("/api/media/item", params=params)
    assert answer.status_code == status and says in answer.json()["error"]


def test_an_unknown_kind_is_refused(media_client: TestClient) -> None:
    answer = media_client.get("/api/media", params={"run": "run1", "kind": "../etc"})
    assert answer.status_code == 400 and "kind must be one of" in answer.json()["error"]


def test_a_path_in_the_request_is_never_read(media_client: TestClient) -> None:
    answer = media_client.get("/api/media/item", params={"run": "run1", "tag": "samples/input", "step": 0,
                                                         "path": "/etc/passwd", "offset": 0})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"  # the indexed image


def test_an_image_whose_files_are_gone_is_410_naming_the_files(media_client: TestClient) -> None:
    shutil.rmtree(media_client.logs)
    answer = media_client.get("/api/media/item", params={"run": "run1", "tag": "samples/input", "step": 10})
    assert answer.status_code == 410 and "re-index" in answer.json()["error"]


def test_an_image_path_the_index_holds_cannot_leave_the_run_folder(tmp_path: Path) -> None:
    """Even a tampered index (a path with ..) reads nothing outside the event file's folder."""
    from lossboard.model import Media
    from lossboard.server.media import MediaMissing, media_bytes

    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    source = tmp_path / "run" / "events.lossboard.1"
    source.parent.mkdir()
    source.write_bytes(b"")
    record = Media("image", "x", 0, None, {"path": "../secret.png"})
    with pytest.raises(MediaMissing, match="not found in the run's files"):
        media_bytes([str(source)], record)


def test_records_give_every_step_of_a_histogram_in_step_order(media_client: TestClient) -> None:
    records = media_client.get("/api/media/records", params={"run": "run1", "tag": "weights/fc"}).json()["records"]
    assert [record["step"] for record in records] == STEPS
    assert [record["data"]["max"] for record in records] == [step / 10 for step in STEPS]
    missing = media_client.get("/api/media/records", params={"run": "run1", "tag": "nope"})
    assert missing.status_code == 404 and "no media 'nope'" in missing.json()["error"]


def test_a_pr_curve_keeps_its_counts_per_threshold(media_client: TestClient) -> None:
    (record,) = [r for r in media_client.get("/api/media/records", params={"run": "run1", "tag": "pr/val"}).json()["records"]
                 if r["step"] == 20]
    data = record["kind"], len(record["data"]["precision"]), record["data"]["tp"][0], record["data"]["fp"][0]
    assert data == ("pr_curve", 11, 4, 4)  # at threshold 0 all 4 positives and all 4 negatives are called positive
    assert record["data"]["recall"][0] == 1.0 and record["data"]["precision"][0] == 0.5


def test_hparams_without_a_record_come_from_the_runs_facts(tmp_path: Path) -> None:
    """A run that only recorded ``hparam/<name>`` facts (no ``add_hparams``) still gets its row,
    numbers as numbers; two series under one label in that run are columns by printed name."""
    with SummaryWriter(tmp_path / "logs" / "facts") as writer:
        writer.add_meta("hparam/lr", 0.05)
        writer.add_meta("hparam/optimizer", "sgd")
        writer.add_scalar("Loss/train", 0.7, 0)
        writer.add_scalar("train_loss", 0.8, 0)
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [tmp_path / "logs"])
    with TestClient(create_app(lambda: SQLiteStore(url, create=False))) as client:
        table = client.get("/api/hparams", params={"run": "facts"}).json()
    (row,) = table["runs"]
    assert row["hparams"] == {"lr": 0.05, "optimizer": "sgd"}
    assert row["metrics"] == {"Loss/train": pytest.approx(0.7), "train_loss": pytest.approx(0.8)}
