"""The kinds only TensorBoard shows (audio, video, meshes, layouts, graphs, embeddings), read back
by TensorBoard's own reader and plugins' protos, as torch's writer's would be."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from lossboard.log.writer import SummaryWriter

pytest.importorskip("tensorboard", reason="the tfevents extra is not installed")

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402


def tensorboard(logdir):
    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE})
    return accumulator.Reload()


def test_audio_is_a_wav_tensorboard_plays(tmp_path):
    samples = np.sin(np.linspace(0, 20, 800))
    with SummaryWriter(tmp_path) as writer:
        writer.add_audio("voice", samples[None, :], 3, sample_rate=8000)
    (audio,) = tensorboard(tmp_path).Audio("voice")
    assert (audio.step, audio.sample_rate, audio.length_frames, audio.content_type) == (3, 8000, 800, "audio/wav")
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as file:
        pcm = np.frombuffer(file.readframes(800), "<i2")
    assert np.abs(pcm / 32767 - samples).max() < 1e-4


def test_video_is_an_animated_gif_of_every_frame(tmp_path):
    from PIL import Image

    video = np.zeros((2, 3, 3, 4, 5), np.uint8)  # 2 videos, 3 frames, RGB 4 x 5
    for frame in range(3):
        video[:, frame] = 80 * frame
    with SummaryWriter(tmp_path) as writer:
        writer.add_video("clip", video, 1, fps=10)
    (image,) = tensorboard(tmp_path).Images("clip")
    gif = Image.open(io.BytesIO(image.encoded_image_string))
    assert (gif.format, gif.n_frames, gif.size) == ("GIF", 3, (10, 4))  # two videos side by side
    gif.seek(2)
    assert np.asarray(gif.convert("L")).max() == 160


def test_image_with_boxes_draws_each_box(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_image_with_boxes("det", np.zeros((3, 20, 20)), np.array([[2, 3, 12, 15]]), 0)
    import matplotlib.image

    (image,) = tensorboard(tmp_path).Images("det")
    pixels = matplotlib.image.imread(io.BytesIO(image.encoded_image_string), format="png")
    red = pixels[:, :, 0] > 0.5
    assert red[3, 2:13].all() and red[15, 2:13].all() and red[3:16, 2].all() and not red[8, 7]


def test_mesh_custom_scalars_tensor_and_raw_pr_curve_are_what_the_plugins_read(tmp_path):
    from tensorboard.plugins.custom_scalar import layout_pb2
    from tensorboard.plugins.mesh import plugin_data_pb2
    from tensorboard.util.tensor_util import make_ndarray

    vertices = np.random.default_rng(0).random((1, 4, 3))
    faces = np.array([[[0, 1, 2], [1, 2, 3]]])
    with SummaryWriter(tmp_path) as writer:
        writer.add_mesh("cube", vertices, faces=faces, global_step=2)
        writer.add_custom_scalars_multilinechart(["loss/a", "loss/b"], category="train", title="both")
        writer.add_tensor("weights", np.arange(6.0).reshape(2, 3), 1)
        writer.add_pr_curve_raw("pr", [3, 2, 0], [2, 1, 0], [0, 1, 2], [0, 1, 3], [0.6, 0.67, 0], [1, 0.67, 0], 4)
    accumulator = tensorboard(tmp_path)
    (stored,) = accumulator.Tensors("cube_VERTEX")
    assert np.allclose(make_ndarray(stored.tensor_proto), vertices)
    content = plugin_data_pb2.MeshPluginData.FromString(accumulator.SummaryMetadata("cube_FACE").plugin_data.content)
    assert content.content_type == plugin_data_pb2.MeshPluginData.FACE and list(content.shape) == [1, 2, 3]
    (layout,) = accumulator.Tensors("custom_scalars__config__")
    parsed = layout_pb2.Layout.FromString(make_ndarray(layout.tensor_proto).item())
    assert parsed.category[0].title == "train" and list(parsed.category[0].chart[0].multiline.tag) == ["loss/a", "loss/b"]
    assert make_ndarray(accumulator.Tensors("weights")[0].tensor_proto).tolist() == [[0, 1, 2], [3, 4, 5]]
    (curve,) = accumulator.Tensors("pr")
    assert curve.step == 4 and make_ndarray(curve.tensor_proto)[0].tolist() == [3, 2, 0]


def test_embedding_files_are_where_the_projector_looks(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    points = np.arange(12.0).reshape(4, 3)
    with SummaryWriter(tmp_path) as writer:
        writer.add_embedding(points, metadata=["a", "b", "c", "d"], label_img=np.ones((4, 1, 2, 2)), tag="feat")
        writer.add_embedding(points * 2, global_step=7)
    config = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(), ProjectorConfig())
    first, second = config.embeddings
    assert (first.tensor_name, first.tensor_path, first.metadata_path) == (
        "feat:00000", "00000/feat/tensors.tsv", "00000/feat/metadata.tsv")
    assert first.sprite.image_path == "00000/feat/sprite.png" and list(first.sprite.single_image_dim) == [2, 2]
    rows = (tmp_path / first.tensor_path).read_text().splitlines()
    assert [[float(x) for x in row.split("\t")] for row in rows] == points.tolist()
    assert (tmp_path / first.metadata_path).read_text() == "a\nb\nc\nd\n"
    assert second.tensor_name == "default:00007" and (tmp_path / second.tensor_path).exists()


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")  # torch warns of its own tracer
def test_add_graph_is_torchs_own_trace(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    from torch.utils.tensorboard._pytorch_graph import graph

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    example = torch.zeros(1, 3)
    with SummaryWriter(tmp_path) as writer:
        writer.add_graph(model, example)
    expected, _ = graph(model, example)
    written = tensorboard(tmp_path).Graph()
    assert sorted(node.name for node in written.node) == sorted(node.name for node in expected.node)
    assert len(written.node) > 4


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:The inplace keyword")  # tbparse on new pandas
def test_tbparse_reads_the_files_as_it_reads_torchs(tmp_path):
    """tbparse (pandas frames of event files, what many notebooks use) on the kinds it reads
    without TensorFlow (it decodes images and audio with TensorFlow)."""
    tbparse = pytest.importorskip("tbparse", reason="tbparse is not installed")
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_histogram("weights", np.arange(10.0), 2)
        writer.add_text("notes", "lr 0.1", 0)
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/accuracy": 0.5})
    scalars = tbparse.SummaryReader(str(tmp_path)).scalars
    loss = scalars[scalars.tag == "Loss/train"]
    assert loss.step.tolist() == [0, 1, 2] and loss.value.tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    reader = tbparse.SummaryReader(str(tmp_path), pivot=False)
    assert reader.histograms.step.tolist() == [2]
    assert reader.text.value.tolist() == ["lr 0.1"]
    hparams = dict(zip(reader.hparams.tag, reader.hparams.value))
    assert hparams == {"lr": 0.1, "optimizer": "sgd"}
