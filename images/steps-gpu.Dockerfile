# reproml/steps-gpu: train, tune and model on an NVIDIA GPU. TensorFlow's own GPU image ships
# Python 3.11 and the project is pinned to 3.12, so this is the same Python base as the CPU
# image with TensorFlow's CUDA wheels (tensorflow[and-cuda]: CUDA and cuDNN from PyPI); the
# node supplies only the driver (NVIDIA device plugin). Build from the repository root:
#   docker build -f images/steps-gpu.Dockerfile -t reproml/steps-gpu:0.1.0 .
# IMAGE_MIRROR: a registry holding `make mirror-images`'s copies ("registry.example.com/m/").
ARG IMAGE_MIRROR=
FROM ${IMAGE_MIRROR}docker.io/library/python:3.12.8-slim-bookworm

# The image's own name, recorded in every step's provenance.json (steps/reproducibility/environment.py);
# `make images` passes the tag it builds.
ARG IMAGE=reproml/steps-gpu:0.1.0
ENV REPROML_IMAGE=$IMAGE \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY pachlite ./pachlite
COPY steps ./steps
COPY notebooks ./notebooks
RUN pip install --no-cache-dir -c constraints.txt -e '.[ml,gpu]' \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin reproml

USER 10001
