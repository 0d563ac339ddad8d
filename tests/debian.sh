#!/bin/sh
# debian - debian/ builds a Debian package with dpkg-buildpackage -us -uc -b
# from the committed tree: lintian has nothing to say about it, it holds
# the program, the man page, the bash and zsh completion and the README
# where Debian wants them, with the libraries loaded later in Depends, and
# the program unpacked from it runs.
. "${top_srcdir:-.}/tests/lib.sh"
need dpkg-buildpackage dh lintian git dpkg-deb
[ -e "$top_srcdir/.git" ] || skip_all "not a git checkout (a tarball: debian/ is built from git)"
[ -f "$top_srcdir/debian/control" ] || skip_all "no debian/ here"
v=$(sed -n '1s/^smtpdbg (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
mkdir -p "$T/src"
git -C "$top_srcdir" archive --format=tar --prefix="smtpdbg-$v/" HEAD | tar -x -C "$T/src"
(cd "$T/src/smtpdbg-$v" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1)
rc=$?
check "dpkg-buildpackage -us -uc -b: exit 0 (got $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { tail -n 30 "$T/build.log" | diag; done_testing; }
deb=$(ls "$T"/src/smtpdbg_*.deb | head -n1)
lintian "$T"/src/*.changes 2>&1 | grep -v 'running with root privileges' >"$T/lintian"
check "lintian has nothing to say (errors, warnings)" [ ! -s "$T/lintian" ]
[ -s "$T/lintian" ] && diag "$T/lintian"
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$T/files"
for f in ./usr/bin/smtpdbg ./usr/share/man/man1/smtpdbg.1.gz \
    ./usr/share/bash-completion/completions/smtpdbg ./usr/share/zsh/vendor-completions/_smtpdbg \
    ./usr/share/doc/smtpdbg/README.md.gz ./usr/share/doc/smtpdbg/copyright; do
	check "the package holds $f" grep -qx "$f" "$T/files"
done
check "Depends names the libraries loaded when used" sh -c \
    "dpkg-deb -f '$deb' Depends | grep -q libunbound8 && dpkg-deb -f '$deb' Depends | grep -q libcurl3-gnutls && dpkg-deb -f '$deb' Depends | grep -q libgnutls-dane0"
check "built with the hardening flags (bind now, PIE)" sh -c \
    "dpkg-deb --fsys-tarfile '$deb' | tar -x -C '$T' ./usr/bin/smtpdbg && readelf -d '$T/usr/bin/smtpdbg' | grep -q 'BIND_NOW' && readelf -h '$T/usr/bin/smtpdbg' | grep -q 'DYN'"
"$T/usr/bin/smtpdbg" --version >"$T/v" 2>&1
check "the packaged program runs: --version" grep -Eq "^smtpdbg $(echo "$v" | sed 's/\./\\./g')" "$T/v"
done_testing
