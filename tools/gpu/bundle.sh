#!/usr/bin/env bash
# Makes .gpu/, what the GPU check (tools/gpu/check.sh) carries to a machine that has PyTorch + CUDA,
# CMake and ninja but no dotnet and no network:
#   vlm.tar.xz                 vlm published self-contained without libtorch (publish.sh), less the
#                              libraries the check does not load: TorchSharp's native library (built
#                              there against that PyTorch) and SkiaSharp's (charts only)
#   torchsharp-native.tar.xz   TorchSharp's native source (src/Native) at our package's release
#   LibTorchSharp.symbols      what our package's native library exports: the build there must export all of it
#   icu.tar.xz                 this host's ICU, used there only when the machine has none (.NET needs it
#                              for the tokenizers' Unicode normalization)
# and checks that the working tree plus .gpu/ fits the 64 MiB that travels to the machine.
#
#   bash tools/gpu/bundle.sh <TorchSharp git folder: dotnet/TorchSharp at the release of our package>
#
# The TorchSharp source is never committed: fetch it (a clone or bare mirror of dotnet/TorchSharp).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
torchsharp="${1:?usage: bash tools/gpu/bundle.sh <dotnet/TorchSharp git folder>}"
out="$repo/.gpu"
limit=$((64 * 1024 * 1024))

# Our package's version, and the source's: the release notes' newest entry is the release the tree is at.
version="$(sed -n 's/.*Include="TorchSharp" Version="\([^"]*\)".*/\1/p' "$repo/Directory.Packages.props")"
props="$(git -C "$torchsharp" show HEAD:build/BranchInfo.props)"
source_version="$(echo "$props" | sed -n 's/.*<MajorVersion>\(.*\)<.*/\1/p').$(echo "$props" | sed -n 's/.*<MinorVersion>\(.*\)<.*/\1/p').$(echo "$props" | sed -n 's/.*<PatchVersion>\(.*\)<.*/\1/p')"
released="$(git -C "$torchsharp" show HEAD:RELEASENOTES.md | sed -n 's/^# NuGet Version \(.*\)$/\1/p' | head -1)"
if [ "$source_version" != "$version" ] || [ "$released" != "$version" ]; then
  echo "bundle.sh: $torchsharp is TorchSharp $source_version (release notes at $released), our package is $version: check out the $version release" >&2
  exit 1
fi

rm -rf "$out"; mkdir -p "$out"
bash "$repo/tools/gpu/publish.sh" "$out/vlm"
tar -cJf "$out/vlm.tar.xz" -C "$out" --exclude=libLibTorchSharp.so --exclude=libSkiaSharp.so --exclude=libHarfBuzzSharp.so vlm
git -C "$torchsharp" archive --format=tar --prefix=torchsharp/ HEAD src/Native build/BranchInfo.props | xz -9 > "$out/torchsharp-native.tar.xz"
nm -D --defined-only "$out/vlm/libLibTorchSharp.so" | awk '$3 ~ /^THS/ {print $3}' | sort -u > "$out/LibTorchSharp.symbols"
rm -rf "$out/vlm"
icu="$(ldconfig -p | sed -n 's/.*libicuuc\.so\.\([0-9]*\) .*/\1/p' | head -1)"
if [ -n "$icu" ]; then
  folder="$(dirname "$(ldconfig -p | sed -n "s/.*libicuuc\.so\.$icu .*=> \(.*\)/\1/p" | head -1)")"
  tar -chJf "$out/icu.tar.xz" -C "$folder" "libicuuc.so.$icu" "libicui18n.so.$icu" "libicudata.so.$icu"
else
  echo "bundle.sh: this host has no ICU to carry; the check then needs the machine's own" >&2
fi

tree=$(cd "$repo" && { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 -r du -cb 2>/dev/null | awk '/total$/ {s += $1} END {print s + 0}')
carried=$(du -cb "$out"/* | awk '/total$/ {print $1}')
ls -l "$out"
echo "working tree $((tree / 1048576)) MiB + .gpu $((carried / 1048576)) MiB = $(((tree + carried) / 1048576)) MiB of $((limit / 1048576)) MiB"
if [ $((tree + carried)) -gt $limit ]; then echo "bundle.sh: over the 64 MiB that travels" >&2; exit 1; fi
