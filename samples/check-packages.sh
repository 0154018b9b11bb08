#!/usr/bin/env bash
# Packs the libraries and the vlm tool, then uses them as another team would, from the packages alone:
# the console sample and the web sample are copied out of the repository, restored from the local
# folder feed into their own NuGet cache folder, built and run; the tool is installed and run.
#
#   bash samples/check-packages.sh [work folder]
#
# VLM_VERSION_SUFFIX: the packages' prerelease suffix (default: local.<time>, a version no NuGet cache
#   holds yet, so nothing stale is restored). VLM_RESTORE_FALLBACK: a NuGet packages folder to take
#   third-party packages from instead of downloading them again (the tests pass ~/.nuget/packages;
#   the vlm packages, at their new version, can only come from the feed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${1:-}" ]; then mkdir -p "$1"; work="$(cd "$1" && pwd)"; else work="$(mktemp -d)"; fi
suffix="${VLM_VERSION_SUFFIX:-local.$(date +%s)}"
feed="$work/packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
restore=()
[ -n "${VLM_RESTORE_FALLBACK:-}" ] && restore+=("-p:RestoreFallbackFolders=$VLM_RESTORE_FALLBACK")

echo "== pack -> $feed"
# The build goes to the work folder (UseArtifactsOutput), so the checkout's own bin/ and obj/ are left alone.
dotnet pack "$repo/Pipeline.sln" -c Release -o "$feed" -p:VersionSuffix="$suffix" \
  -p:UseArtifactsOutput=true -p:ArtifactsPath="$work/build" -v:q -nologo
rm -rf "$work/build"   # each app output holds libtorch (~1 GB): only what is in use stays on disk
trainers="$(ls "$feed"/Vlm.Trainers.*.nupkg | grep -v snupkg)"
version="$(basename "$trainers" .nupkg)"; version="${version#Vlm.Trainers.}"
ls "$feed"

# From here on, as in another team's repository: the samples' nuget.config reads the feed from
# VLM_PACKAGES, and restores go to their own NuGet cache folder.
export VLM_PACKAGES="$feed" NUGET_PACKAGES="$work/nuget-cache"

echo "== console sample ($version)"
cp -r "$repo/samples/console" "$work/console"
dotnet build "$work/console" -c Release -p:VlmVersion="$version" "${restore[@]}" -v:q -nologo
dotnet "$work/console/bin/Release/net10.0/VlmConsoleSample.dll" "$work/console-run"
rm -rf "$work/console/bin" "$work/console/obj"

echo "== web sample"
command -v curl > /dev/null || bash "$repo/tests/tools/install-debian.sh" /usr/bin/curl curl
cp -r "$repo/samples/web" "$work/web"
dotnet build "$work/web" -c Release -p:VlmVersion="$version" "${restore[@]}" -v:q -nologo
port=$(( 20000 + RANDOM % 20000 ))
dotnet "$work/web/bin/Release/net10.0/VlmWebSample.dll" --model "$work/console-run/model.zip" --urls "http://127.0.0.1:$port" > "$work/web.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
image="$(ls "$work"/console-run/data/validation/images/*.png | head -1)"
echo "web answer: $(curl -sf -F image=@"$image" -F prompt="What shape is in the image?" "http://127.0.0.1:$port/ask")"
kill $server; wait $server 2>/dev/null || true; trap - EXIT
rm -rf "$work/web/bin" "$work/web/obj"

echo "== the vlm tool"
dotnet tool install --tool-path "$work/tool" --add-source "$feed" vlm --version "$version"
"$work/tool/vlm" --help | head -3
"$work/tool/vlm" doctor | grep -E "^(native fix|TorchSharp|tokenizer)"
echo "== packages checked: $version"
