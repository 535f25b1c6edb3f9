FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 TRACKER_LOG_FORMAT=json TRACKER_CONFIG_DIR=/app/config TRACKER_DATA_DIR=/app/var
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY config ./config
RUN useradd --create-home tracker && mkdir -p /app/var && chown tracker /app/var
USER tracker
CMD ["tracker", "run"]
