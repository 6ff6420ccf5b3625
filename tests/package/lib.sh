# SPDX-License-Identifier: Apache-2.0
# Shared by the package tests: the .deb built from the tree as it is.

# build_deb SRCDIR WORKDIR -> prints the path of the built xenvirtiod .deb
build_deb() {
    local src=$1 work=$2 tree=$2/xenvirtiod
    mkdir -p "$tree"
    # Tracked and new files, no build output.
    if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$src" && git ls-files -co --exclude-standard -z |
            xargs -0 cp -a --parents -t "$tree")
    else
        tar -C "$src" --exclude=./build -cf - . | tar -C "$tree" -xf -
    fi
    # Not against the simulator's libraries that meson test puts first.
    if ! (cd "$tree" && env -u LD_LIBRARY_PATH dpkg-buildpackage -us -uc -b) \
            >"$work/build.log" 2>&1; then
        tail -40 "$work/build.log" >&2
        echo "FAIL: dpkg-buildpackage" >&2
        return 1
    fi
    ls "$work"/xenvirtiod_*.deb
}

have_debhelper() {
    command -v dpkg-buildpackage >/dev/null &&
        dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "ok installed"
}
