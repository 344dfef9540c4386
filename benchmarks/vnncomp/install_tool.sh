#!/usr/bin/env bash
# VNN-COMP tool interface (v1): install Certify. Builds the certify command once (Release); the build also prepares
# the native dependencies (see README "Native dependencies").
set -euo pipefail
[ "${1:-v1}" = v1 ] || { echo "expected version v1, got $1" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v dotnet >/dev/null || { echo "install the .NET 10 SDK first" >&2; exit 3; }
"$root/certify" version
