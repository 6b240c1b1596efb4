"""The training options of RECIPES.md refuse bad values before anything trains: each with a
one-line error naming its flag; the options of the tutorial's step refuse --update alternating."""

import pytest

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.generate import main as generate_main

STEP_OPTIONS = [
    {"lr_warmup_steps": 100},
    {"lr_decay": "linear"},
    {"lr_decay": "cosine"},
    {"r1_gamma": 1.0},
    {"diff_augment": "translation,cutout"},
    {"ema_decay": 0.99, "ema_warmup": True},
    {"disc_dropout": 0.0},
    {"spectral_norm": True},
]


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
@pytest.mark.parametrize("options", STEP_OPTIONS)
def test_each_training_option_is_accepted_with_either_update_order(options, update):
    config = TrainConfig(update=update, **options)
    assert all(getattr(config, name) == value for name, value in options.items())


def test_disc_steps_with_the_alternating_update_is_refused_naming_the_flags():
    with pytest.raises(UserError) as err:
        TrainConfig(update="alternating", disc_steps=2)
    message = str(err.value)
    assert message.startswith("--disc-steps works with --update simultaneous only")
    assert "--gen-steps" in message and "\n" not in message


def test_the_alternating_refusal_is_a_one_line_command_line_error(capsys):
    assert generate_main(["--update", "alternating", "--disc-steps", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --disc-steps works with --update simultaneous only")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("values", "flag"),
    [
        ({"lr_warmup_steps": -1}, "--lr-warmup-steps"),
        ({"r1_gamma": -0.5}, "--r1-gamma"),
        ({"r1_gamma": float("nan")}, "--r1-gamma"),
        ({"r1_gamma": float("inf")}, "--r1-gamma"),
        ({"until_fid": -1.0, "eval_every": 1}, "--until-fid"),
        ({"disc_dropout": 1.0}, "--disc-dropout"),
        ({"disc_dropout": -0.1}, "--disc-dropout"),
    ],
)
def test_an_out_of_range_value_is_a_one_line_error_naming_its_flag(values, flag):
    with pytest.raises(UserError) as err:
        TrainConfig(**values)
    assert str(err.value).startswith(f"{flag} must be")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--lr-warmup-steps", "-1"], "--lr-warmup-steps"),
        (["--r1-gamma", "nan"], "--r1-gamma"),
        (["--r1-gamma=-1"], "--r1-gamma"),
        (["--until-fid=-5", "--eval-every", "1"], "--until-fid"),
        (["--disc-dropout", "1"], "--disc-dropout"),
    ],
)
def test_an_out_of_range_flag_exits_2_with_one_line(argv, flag, capsys):
    assert generate_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {flag} must be")
    assert err.count("\n") == 1


def test_an_unknown_lr_decay_is_a_one_line_error_naming_the_flag():
    with pytest.raises(UserError) as err:
        TrainConfig(lr_decay="step")
    assert "--lr-decay" in str(err.value) and "'step'" in str(err.value)
    assert "\n" not in str(err.value)


def test_an_unknown_lr_decay_on_the_command_line_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        generate_main(["--lr-decay", "step"])
    assert exit_.value.code == 2
    assert "argument --lr-decay: invalid choice: 'step'" in capsys.readouterr().err


def test_the_options_are_off_by_default_as_in_the_tutorial():
    config = TrainConfig()
    assert (config.lr_warmup_steps, config.lr_decay, config.ema_warmup) == (0, "none", False)
    assert (config.disc_dropout, config.spectral_norm, config.r1_gamma) == (None, False, 0.0)
    assert (config.diff_augment, config.until_fid) == ("", 0.0)
