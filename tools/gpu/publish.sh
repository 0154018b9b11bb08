#!/usr/bin/env bash
# Publishes vlm self-contained for linux-x64 WITHOUT libtorch (TorchSharpBackend=external): the program
# uses the libtorch of the machine it runs on (a PyTorch install's torch/lib), found through
# LD_LIBRARY_PATH. Trimmed (the .NET libraries only: TrimMode=partial leaves ML.NET and TorchSharp
# whole, since both reach types by reflection) and without the debugger's libraries, so that it is
# small enough to carry: ~75 MB on disk, ~20 MB as tar.xz.
#
#   bash tools/gpu/publish.sh <output folder>
#
# The build goes to <output folder>.build (UseArtifactsOutput): the checkout's bin/ and obj/ stay as they are.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: bash tools/gpu/publish.sh <output folder>}"
mkdir -p "$out"; out="$(cd "$out" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Trim analysis warnings name reflection the linker cannot see; ML.NET and TorchSharp are kept whole
# (partial mode), and the published program is run by the tests, so the warnings are not errors here.
# System.Text.Json's reflection stays on (trimming turns it off): the app serializes its own records with it.
dotnet publish "$repo/pipeline" -c Release -r linux-x64 --self-contained -o "$out" \
  -p:TorchSharpBackend=external -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:DebugType=none -p:UseArtifactsOutput=true -p:ArtifactsPath="$out.build" -v:q -nologo
rm -rf "$out.build"
# The debugger's and crash dumper's libraries, and native debug files: not used by a run.
rm -f "$out"/libmscordaccore.so "$out"/libmscordbi.so "$out"/createdump "$out"/*.dbg
if ls "$out"/libtorch*.so "$out"/libc10*.so > /dev/null 2>&1; then
  echo "publish.sh: $out holds libtorch: TorchSharpBackend=external did not take effect" >&2; exit 1
fi
echo "published vlm without libtorch -> $out ($(du -sm "$out" | cut -f1) MB)"
