"""Judging a model's output: segmentation metrics (metrics) and calibration of its per-pixel
probabilities (calibration). Pure numpy."""
