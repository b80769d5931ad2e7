# The portal's production image: gunicorn serving config.wsgi; the same image runs the Celery
# worker and beat (see docker-compose.yml). Configured only through environment variables.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# gettext: compilemessages. Pango + HarfBuzz: WeasyPrint. fonts-noto-cjk: Chinese text in PDFs
# ("Noto Sans CJK SC" / "Noto Serif CJK SC" are named in the PDF stylesheets).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in a layer of their own that only a change of the lock rebuilds. The project
# declares no packages of its own (`packages = []`): installing it installs its dependencies.
COPY pyproject.toml requirements.lock /tmp/build/
RUN python -m venv "$VIRTUAL_ENV" \
    && pip install -c /tmp/build/requirements.lock /tmp/build \
    && rm -rf /tmp/build

WORKDIR /app
COPY . .

# Translations and static files are baked into the image. collectstatic runs with the production
# storage (DEBUG=False: hashed names, compressed copies for WhiteNoise); the key and hosts given
# here exist only for this build step.
RUN mkdir -p locale \
    && python manage.py compilemessages --ignore=var --ignore=static/vendor --verbosity 0 \
    && DEBUG=False SECRET_KEY=image-build-only ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput --verbosity 0

# A user without privileges; it may write only var/ (uploads, generated PDFs).
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /app/var/media \
    && chown -R portal:portal /app/var
USER portal

ENV DEBUG=False \
    STATIC_ROOT=/app/var/static \
    MEDIA_ROOT=/app/var/media

EXPOSE 8000
# Worker count, timeouts and the like can be tuned with GUNICORN_CMD_ARGS. Workers are
# recycled now and then: WeasyPrint keeps the memory of a rendered PDF.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--max-requests", "500", "--max-requests-jitter", "50", \
     "--access-logfile", "-"]
