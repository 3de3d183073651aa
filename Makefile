# The two commands of README.md. Both install missing Debian packages first,
# so they work on a fresh Debian 12 machine.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
DEPS = cmake ninja-build g++ pkg-config libuv1-dev libssl-dev libsqlite3-dev \
       libfmt-dev catch2 libc-ares-dev libtomlplusplus-dev libcrypt-dev openssl \
       python3 python3-pytest python3-aiosmtpd swaks curl fetchmail isync \
       libclang-rt-14-dev libpsl-dev publicsuffix python3-dkim python3-spf \
       python3-authheaders python3-dnslib python3-dnspython python3-nacl \
       libmail-srs-perl libre2-dev dovecot-core dovecot-sieve rspamd \
       sieve-connect python3-sievelib pebble python3-prometheus-client dpkg-dev zlib1g-dev dovecot-imapd \
       thunderbird

.PHONY: all deps build run test sanitize fuzz clean install deb deb-check

all: build

deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Optimised, with line tables for backtraces (-g1): full debug info (-g)
# makes the build a sixth slower and says nothing a crash report needs. The
# libraries are built as unity batches (their headers parsed once per batch,
# not per file): the build takes a fraction of the time on two cores.
$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
	      -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Demo configuration, self-signed certificate and user under ./var/, then
# the server in the foreground on unprivileged ports.
run: build
	etc/demo-setup.sh var
	$(BUILD)/pochta serve -c var/pochta.toml

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests against an ASan+UBSan build.
sanitize: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOCHTA_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

# README.md, "Installing": into DESTDIR (default: this machine) under /usr,
# configuration in /etc/pochta; `make deb` builds the Debian package with
# CPack (pochta_VERSION_ARCH.deb here); `make deb-check` installs it into a
# fresh Debian 12 root (debootstrap, from Debian's archive) and starts it.
BUILD_DEB ?= build-deb
$(BUILD_DEB)/build.ninja:
	cmake -S . -B $(BUILD_DEB) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
	      -DCMAKE_INSTALL_PREFIX=/usr -DPOCHTA_TESTS=OFF

install: deps $(BUILD_DEB)/build.ninja
	cmake --build $(BUILD_DEB) -j $(JOBS) --target pochta
	DESTDIR=$(DESTDIR) cmake --install $(BUILD_DEB)

deb: deps $(BUILD_DEB)/build.ninja
	cmake --build $(BUILD_DEB) -j $(JOBS) --target pochta
	cd $(BUILD_DEB) && cpack -G DEB -B $(CURDIR)
	rm -rf _CPack_Packages

deb-check: deb
	packaging/check-deb.sh $(CURDIR)/pochta_*_$$(dpkg --print-architecture).deb

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_DEB)
