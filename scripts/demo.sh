#!/usr/bin/env bash
# The main job on a fresh machine: set up, then ingest and check a corpus into the
# embedded SQLite store (./nianbao-data), show the result and offer the web UI.
# Usage: bash scripts/demo.sh [FOLDER-OF-REPORTS]   (none: a generated sample corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/nianbao demo "$@"
