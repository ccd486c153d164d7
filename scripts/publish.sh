#!/usr/bin/env bash
# Self-contained single-file fastad for linux-x64 (for a GPU machine without the .NET SDK).
# Output: publish/linux-x64/fastad (git-ignored). Usage: scripts/publish.sh [RID]
set -euo pipefail
cd "$(dirname "$0")/.."
rid="${1:-linux-x64}"
dotnet publish src/Cli -c Release -r "$rid" --self-contained \
  -p:PublishSingleFile=true -p:InvariantGlobalization=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:EnableCompressionInSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "publish/$rid" -nologo -v q
ls -l "publish/$rid/"
