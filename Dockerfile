FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 TRACKER_LOG_FORMAT=json TRACKER_CONFIG_DIR=/app/config TRACKER_DATA_DIR=/app/var
# The lock's pins first, hashes checked (a layer that changes only when the lock does), then the
# project alone: nothing is resolved at build time, so two builds install the same packages.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY workers ./workers
RUN pip install --no-cache-dir --no-deps . && pip check
COPY config ./config
RUN useradd --create-home tracker && mkdir -p /app/var && chown tracker /app/var
USER tracker
CMD ["tracker", "run"]
