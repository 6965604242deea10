#!/usr/bin/env bash
# Installs the real players the OriginTests player suite drives (it fails, never skips, without them):
#   Debian: GStreamer with mssdemux, dashdemux and hlsdemux (all three in plugins-bad; plugins-good adds
#   dashdemux2/hlsdemux2) and libav decoders, ffmpeg; PyPI: yt-dlp.
# Idempotent; run as root (CI and the developer machines are root). Usage: scripts/players/install.sh
set -euo pipefail

apt_packages=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
              gstreamer1.0-libav ffmpeg)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! python3 -m yt_dlp --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check "yt-dlp>=2025.1.15"
fi

for element in mssdemux dashdemux hlsdemux; do gst-inspect-1.0 "$element" >/dev/null; done
echo "players: gst-launch-1.0 $(gst-launch-1.0 --version | sed -n 's/.*version //p' | head -1), yt-dlp $(python3 -m yt_dlp --version), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
