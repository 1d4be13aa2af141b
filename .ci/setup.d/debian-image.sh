#!/usr/bin/env bash
# A real Debian container image for the image tests (internal/source): built
# once by ../shared/images/build-debian-image.sh (mmdebstrap minbase; needs
# root and apt), cached by the script's hash and the day, exported as
# HALLMARK_TEST_IMAGE_DIR.
set -euo pipefail
script=../shared/images/build-debian-image.sh
if [ ! -f "$script" ]; then
	echo "$script is missing: the image tests will skip"
	exit 0
fi
key=$(sha256sum "$script" | cut -c1-16)-$(date -u +%Y%m%d)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/hallmark-ci/debian-image-$key"
if [ ! -f "$dir/dpkg-packages.txt" ] || [ ! -f "$dir/debian.oci.tar" ]; then
	rm -rf "$dir"
	# The script installs these itself when absent, but with a bare apt-get
	# that would race the other setup scripts' apt calls.
	if ! command -v mmdebstrap >/dev/null || ! command -v python3 >/dev/null; then
		.ci/apt-install mmdebstrap python3
	fi
	mkdir -p "$dir"
	SOURCE_DATE_EPOCH=1764892800 bash "$script" "$dir"
fi
echo "HALLMARK_TEST_IMAGE_DIR=$dir" >>"$CI_ENV"
echo "debian image: $(wc -l <"$dir/dpkg-packages.txt") packages in $dir"
