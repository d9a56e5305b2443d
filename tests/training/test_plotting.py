"""Training curves: every epoch is visible, even when there is only one."""

from matplotlib import image

from s2s.training.plotting import plot_curves


def test_a_one_epoch_run_draws_its_points(tmp_path):
    path = tmp_path / "curves.png"
    plot_curves([{"epoch": 1, "train_loss": 3.2, "valid_loss": 3.5, "valid_bleu": 4.0}], path)
    pixels = image.imread(path)[..., :3]
    # A single value sits in the middle of its axis; the legends are in the top corners.
    height, width = pixels.shape[:2]
    middle = pixels[int(height * 0.4): int(height * 0.6), int(width * 0.4): int(width * 0.6)]
    assert (middle < 0.9).any(axis=-1).sum() > 10
