#!/usr/bin/env bash
# Runs the whole test suite: every project on every backend found (OpenCL through PoCL must be
# present: FASTAD_REQUIRE_OPENCL=1 makes a missing OpenCL device a failure, not a skip), then the
# CPU paths (kernels, fits, flows, trees) again with hardware intrinsics disabled so the portable fallbacks are exercised.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export FASTAD_REQUIRE_OPENCL="${FASTAD_REQUIRE_OPENCL:-1}"
dotnet build FastAD.sln -c Release -nologo -v q
dotnet test FastAD.sln -c Release --no-build -nologo -v q --logger "console;verbosity=minimal"
echo "== CPU path without SIMD intrinsics (DOTNET_EnableHWIntrinsic=0) =="
for project in tests/FastAD.Kernels.Tests tests/FastAD.Stats.Tests tests/FastAD.Flows.Tests tests/FastAD.Trees.Tests; do
  DOTNET_EnableHWIntrinsic=0 FASTAD_TEST_BACKENDS=cpu \
    dotnet test "$project" -c Release --no-build -nologo -v q --logger "console;verbosity=minimal"
done
echo "== CPU path without AVX-512 (DOTNET_EnableAVX512F=0) =="
for project in tests/FastAD.Kernels.Tests tests/FastAD.Stats.Tests tests/FastAD.Flows.Tests tests/FastAD.Trees.Tests; do
  DOTNET_EnableAVX512F=0 FASTAD_TEST_BACKENDS=cpu \
    dotnet test "$project" -c Release --no-build -nologo -v q --logger "console;verbosity=minimal"
done
