# reproml/serving: MLServer with the U-Net runtime (steps.serving.UNetRuntime). Seldon Core
# (protocol v2) mounts the released calibrate commit at /mnt/models and sets MLSERVER_MODEL_URI,
# MLSERVER_MODEL_NAME and the ports; the SeldonDeployment sets the implementation.
#   docker build -f images/serving.Dockerfile -t reproml/serving:0.1.0 .
FROM python:3.12.8-slim-bookworm

# The image's own name, recorded in every step's provenance.json (steps/environment.py);
# `make images` passes the tag it builds.
ARG IMAGE=reproml/serving:0.1.0
ENV REPROML_IMAGE=$IMAGE \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    MLSERVER_MODEL_IMPLEMENTATION=steps.serving.UNetRuntime \
    MLSERVER_PARALLEL_WORKERS=0
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY pachlite ./pachlite
COPY steps ./steps
RUN pip install --no-cache-dir -c constraints.txt -e '.[ml,cpu]' \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin mlserver \
    && mkdir -p /opt/mlserver \
    && printf '{"parallel_workers": 0, "debug": false}\n' > /opt/mlserver/settings.json

USER 10001
EXPOSE 9000 9500
CMD ["mlserver", "start", "/opt/mlserver"]
