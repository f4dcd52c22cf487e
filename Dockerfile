# CaseConsultant image: one image for every service of docker-compose.yml (the command differs).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CC_DATA_DIR=/data

WORKDIR /app
# dependencies first, for the layer cache
COPY pyproject.toml README.md ./
COPY consultant ./consultant
COPY workers ./workers
COPY templates ./templates
COPY config ./config
# templates/ and config/ are read from beside the package (consultant.settings.PROJECT_ROOT), so the
# source tree stays at /app and the package is installed from it in place.
# the extraction rules compiled with mypyc (caseconsultant native build); gcc only for the build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install -e '.[native]' \
    && (caseconsultant native build || echo "plain Python extraction") \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home caseconsultant \
    && mkdir -p /data && chown caseconsultant /data

USER caseconsultant
VOLUME ["/data"]
EXPOSE 8000 8025
CMD ["caseconsultant", "--help"]
