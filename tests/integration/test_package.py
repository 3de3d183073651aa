"""`make deb` (README.md, "Installing"): the package CPack builds from the
tree under test holds the binary, the configuration as conffiles, the unit
and the maintainer scripts, depends on the libraries the binary links, and
its binary runs from an unpacked root."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def deb(pochta_bin, tmp_path_factory):
    build = Path(pochta_bin).resolve().parent
    if not (build / "CPackConfig.cmake").exists() or not shutil.which("cpack") or not shutil.which("dpkg-shlibdeps"):
        pytest.skip("no CPack configuration in the build folder, or no cpack / dpkg-shlibdeps")
    out = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["cpack", "-G", "DEB", "-B", str(out), "--config", str(build / "CPackConfig.cmake")],
                       cwd=build, capture_output=True, timeout=900)
    assert r.returncode == 0, r.stdout.decode()[-3000:] + r.stderr.decode()[-3000:]
    debs = list(out.glob("pochta_*.deb"))
    assert len(debs) == 1, list(out.iterdir())
    return debs[0]


def dpkg_deb(*args):
    return subprocess.run(["dpkg-deb", *args], capture_output=True, check=True, timeout=60).stdout.decode()


def test_the_package_holds_binary_config_unit_and_docs(deb):
    files = dpkg_deb("-c", str(deb))
    for path in ("./usr/bin/pochta", "./etc/pochta/pochta.toml", "./etc/pochta/aliases",
                 "./lib/systemd/system/pochta.service", "./usr/share/doc/pochta/README.md"):
        assert f" {path}\n" in files + "\n", path
    # The users file holds password hashes: the postinst makes it, empty, 0640 root:pochta.
    assert "./etc/pochta/users" not in files
    assert "-rw-r----- root/root" in next(line for line in files.splitlines() if line.endswith("/etc/pochta/pochta.toml"))


def test_the_control_data_keeps_config_and_creates_the_user(deb, tmp_path):
    info = dpkg_deb("-I", str(deb))
    depends = next(line for line in info.splitlines() if line.strip().startswith("Depends:"))
    for library in ("adduser", "libuv1", "libsqlite3", "libssl"):
        assert library in depends, depends
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/pochta/pochta.toml", "/etc/pochta/aliases"]
    postinst = (control / "postinst").read_text()
    assert "adduser --system --group --home /var/lib/pochta" in postinst
    assert "install -d -m 0700 -o pochta -g pochta /var/lib/pochta" in postinst
    assert "install -m 0640 -o root -g pochta /dev/null /etc/pochta/users" in postinst
    assert os.access(control / "postinst", os.X_OK)
    r = subprocess.run(["sh", "-n", str(control / "postinst")], capture_output=True)
    assert r.returncode == 0, r.stderr


def test_the_unpacked_binary_runs_and_reads_the_sample_config(deb, tmp_path):
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    r = subprocess.run([str(root / "usr/bin/pochta"), "version"], capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"pochta "), r.stderr
    # The sample configuration parses; it fails only on the certificate it names, which an admin provides.
    r = subprocess.run([str(root / "usr/bin/pochta"), "check-config", "-c", str(root / "etc/pochta/pochta.toml")],
                       capture_output=True, timeout=30)
    assert b"tls/fullchain.pem" in r.stderr or r.returncode == 0, r.stderr
