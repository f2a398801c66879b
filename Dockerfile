FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    KIX_ENV=production KIX_KEYS_DIR=/var/lib/kix/keys KIX_DATABASE_URL=sqlite:////var/lib/kix/kix.db

RUN groupadd --system kix && useradd --system --gid kix --home-dir /var/lib/kix --create-home kix
WORKDIR /opt/kix
COPY pyproject.toml setup.py README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir . && mkdir -p /var/lib/kix/keys && chown -R kix:kix /var/lib/kix \
    && chmod 700 /var/lib/kix/keys

USER kix
EXPOSE 8000
# Production refuses to start without server keys: mount them at /var/lib/kix/keys
# (made once with `kix keys init-server`), or set KIX_ENV=development to have them created.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["kix", "serve", "--host", "0.0.0.0", "--port", "8000"]
