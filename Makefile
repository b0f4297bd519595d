# certa: `make` builds, `make run` runs the main job, `make test` runs every
# test.  Both install missing Debian packages first (scripts/deps.sh).
BUILD    ?= build
PREFIX   ?= /usr/local
SANITIZE ?= 0
DIR      ?= ./certa-data

ifeq ($(SANITIZE),1)
BUILD := build-asan
CMAKE_FLAGS += -DCERTA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=RelWithDebInfo
endif

.PHONY: all deps build run test install clean bench

all: build

deps:
	@./scripts/deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)

run: build
	@./scripts/run.sh $(BUILD)/certa $(DIR)

test:
	@./scripts/deps.sh --test
	@$(MAKE) --no-print-directory build BUILD=$(BUILD) SANITIZE=$(SANITIZE)
	@./tests/run_all.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	./bench/issue.sh $(BUILD)/certa
	./bench/crl.sh $(BUILD)/certa
	./bench/ocsp.sh $(BUILD)/certa
	./bench/api-issue.sh $(BUILD)/certa
	./bench/gate.sh $(BUILD)/certa
	./bench/cluster.sh $(BUILD)/certa

clean:
	rm -rf build build-asan
