"""The model: the U-Net (unet) and how it is trained (training: hyperparameters, compile, fit,
the objective). `python -m steps.model` runs the model pipeline's step, the full training."""
