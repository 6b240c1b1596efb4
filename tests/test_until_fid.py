"""--until-fid X: the run ends at the first measurement of --eval-every at or below FID X, as a
finished run ends (checkpoint of that epoch, loss plot, GIF); the loop honours any hook's
`stop_requested` after the epoch's checkpoint."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import tensorflow as tf
from conftest import TrainingWatch, synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.evaluation.until_fid import UntilFid
from dcgan_tf.reporting import standard_hooks as standard
from dcgan_tf.run.going_back import checkpoint_counters
from dcgan_tf.run.hooks import Hook
from dcgan_tf.training.loop import train
from dcgan_tf.tutorial.images import GIF_NAME

IMAGES = synthetic_digits(64, seed=10)[0]  # 32 a batch: 2 steps an epoch
STATE = SimpleNamespace(step=tf.Variable(12, dtype=tf.int64))


def measured(epoch: int, fid: float) -> SimpleNamespace:
    """What UntilFid reads of a QualityHook: `latest` = (epoch, step, metrics)."""
    return SimpleNamespace(latest=(epoch, 6 * epoch, {"fid": fid}))


def until(quality, target: float = 20.0) -> tuple[UntilFid, list[str]]:
    lines: list[str] = []
    return UntilFid(quality, target, log=lines.append), lines


def test_no_stop_before_any_measurement():
    hook, lines = until(SimpleNamespace(latest=None))
    hook.on_epoch_end(1, STATE)
    assert not hook.stop_requested and lines == []


def test_no_stop_while_the_fid_is_above_the_target():
    hook, lines = until(measured(2, 20.01))
    hook.on_epoch_end(2, STATE)
    assert not hook.stop_requested and lines == []


@pytest.mark.parametrize("fid", [20.0, 19.9, 3.0])
def test_stop_once_the_same_epochs_fid_is_at_or_below_the_target(fid):
    hook, lines = until(measured(2, fid))
    hook.on_epoch_end(2, STATE)
    assert hook.stop_requested
    assert lines == [
        f"FID {fid:.2f} after epoch 2 (step 12) is at or below --until-fid 20: the run ends here"
    ]


def test_an_earlier_epochs_measurement_does_not_stop_a_later_epoch():
    """--eval-every 2: epoch 3 is not measured; the good FID of epoch 2 stopped the run already,
    or it did not (above the target then)."""
    hook, _ = until(measured(2, 5.0))
    hook.on_epoch_end(3, STATE)
    assert not hook.stop_requested


class StopAt(TrainingWatch):
    """Asks the loop to stop after `epoch`; records the epochs ended and whether the run ended."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch, self.epochs_ended, self.ended = epoch, [], False

    def on_epoch_end(self, epoch: int, state) -> None:
        self.epochs_ended.append(epoch)
        self.stop_requested = epoch == self.epoch

    def on_train_end(self, state) -> None:
        self.ended = True


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """5 epochs asked for, checkpoints every 5 epochs; a hook asks to stop after epoch 2."""
    root = tmp_path_factory.mktemp("stopped")
    config = TrainConfig(
        model="gan",  # the fastest model: the loop is the same for every one
        epochs=5,
        batch_size=32,
        save_every=5,
        tensorboard=False,
        out=str(root / "out"),
        checkpoint_dir=str(root / "ck"),
    )
    stop = StopAt(2)
    state = train(config, IMAGES, log=lambda _: None, hooks=[stop])
    return config, state, stop


def test_a_stop_request_ends_the_run_after_that_epoch(stopped_run):
    _, state, stop = stopped_run
    assert stop.epochs_ended == [1, 2]
    assert stop.trained == [(1, 1), (1, 2), (2, 3), (2, 4)]
    assert (int(state.epoch), int(state.step)) == (2, 4)


def test_the_stopped_run_saves_the_checkpoint_of_its_last_epoch(stopped_run):
    """--save-every 5 would save none before epoch 5: the stop saves epoch 2's."""
    config, *_ = stopped_run
    latest = tf.train.latest_checkpoint(config.checkpoint_dir)
    assert latest is not None and checkpoint_counters(latest) == (2, 4)
    assert len(list(Path(config.checkpoint_dir).glob("ckpt-*.index"))) == 1


def test_the_stopped_run_ends_as_a_finished_run_does(stopped_run):
    config, _, stop = stopped_run
    assert stop.ended  # every hook's on_train_end ran
    out = Path(config.out)
    assert (out / GIF_NAME).exists()
    assert (out / "losses.csv").read_text().count("\n") == 1 + 4  # header and the 4 steps


def test_a_hook_that_never_asks_to_stop_does_not_stop_the_run():
    assert Hook.stop_requested is False and Hook().stop_requested is False


def test_until_fid_without_eval_every_is_refused():
    with pytest.raises(UserError, match=r"^--until-fid needs --eval-every"):
        TrainConfig(until_fid=20)
    assert TrainConfig(until_fid=20, eval_every=1).until_fid == 20


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_an_until_fid_that_is_not_a_positive_number_is_refused(value):
    with pytest.raises(UserError, match=r"^--until-fid must be 0 \(off\) or a positive FID"):
        TrainConfig(until_fid=value, eval_every=1)


@pytest.fixture
def hooks_of(tmp_path, monkeypatch):
    """`generate`'s standard hooks for some flags, with a stand-in for the classifier (the
    hooks only keep it until they measure)."""
    classifier = object()
    monkeypatch.setattr(standard, "load_or_train_classifier", lambda *args, **kw: classifier)

    def hooks(**flags):
        config = TrainConfig(
            out=str(tmp_path / "out"), checkpoint_dir=str(tmp_path / "ck"), **flags
        )
        return standard.standard_hooks(config, "cpu", "data")

    return hooks


def test_generate_stops_on_the_fid_of_its_own_quality_hook_listed_before_it(hooks_of):
    hooks = hooks_of(eval_every=2, until_fid=15.0, tensorboard=False)
    kinds = [type(hook) for hook in hooks]
    assert kinds.count(QualityHook) == 1 and kinds.count(UntilFid) == 1
    quality, until_fid = hooks[kinds.index(QualityHook)], hooks[kinds.index(UntilFid)]
    assert kinds.index(QualityHook) < kinds.index(UntilFid)
    assert until_fid.quality is quality and until_fid.target == 15.0


def test_generate_has_no_fid_stop_without_until_fid(hooks_of):
    assert not any(isinstance(hook, UntilFid) for hook in hooks_of(eval_every=2))
