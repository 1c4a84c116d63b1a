# libsirnn: plain GNU Makefile.
#   make            static + shared library, sirnn command, benchmark driver
#   make test       all cmocka test binaries (installs missing deps as root)
#   make asan       the same tests built with ASan + UBSan (in build/out/asan)
#   make valgrind   memcheck over the test binaries
#   make sweep      the math functions over their whole format space (long; make test samples it)
#   make ctime      valgrind constant-time check of kernels and sample protocols
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS (60) from seeds
#   make bench      full benchmark sweep (JSON lines)
#   make bench-check  quick benchmarks; fails if bits or rounds grow vs bench/baseline.json,
#                   or if a cost figure in the public headers differs from it
#   make bench-compare BASE=rev  time this tree against revision rev, alternating runs
#                   (PAIRS=9, POINTS=bench/compare/ci.points, GATE=ratio to fail on)
#   make bench-report  measure the report's points, write build/out/report/index.html
#                   (RESULTS=file renders a results file without measuring)
#   make bench-figures  measure and record them as bench/report/figures.jsonl, then readme-perf
#   make readme-perf    rewrite README.md's performance table from bench/report/figures.jsonl
#   make demo       the secure two-party demo over loopback
#   make speech-data / speech-train / speech-demo   the synthesised keyword data set
#                   (build/out/speech), training models/speech_fastgrnn.sirnn on it, its demo
#   make install / uninstall (PREFIX, DESTDIR), make clean

include build/config.mk

OUT ?= build/out
OBJ := $(OUT)/obj

LIB_DIRS := kernels net ot arith math nn
LIB_SRCS := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRCS))
TOOL_SRCS := $(sort $(wildcard tools/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
TEST_MAINS := $(sort $(wildcard tests/test_*.c))
TEST_LIBSRCS := $(filter-out $(TEST_MAINS),$(sort $(wildcard tests/*.c)))
TESTS := $(patsubst tests/%.c,$(OUT)/bin/tests/%,$(TEST_MAINS))

STATIC := $(OUT)/lib/libsirnn.a
SHARED := $(OUT)/lib/libsirnn.so.$(VERSION)
PC     := $(OUT)/lib/pkgconfig/sirnn.pc
SIRNN  := $(OUT)/bin/sirnn
BENCH  := $(OUT)/bin/sirnn-bench

CFLAGS_ALL = $(BASE_CFLAGS) $(CFLAGS)
CPPFLAGS_ALL = $(BASE_CPPFLAGS) $(CPPFLAGS)
LDFLAGS_ALL = $(BASE_LDFLAGS) -fopenmp $(LDFLAGS)
LDLIBS_ALL = $(BASE_LDLIBS) $(LDLIBS)

.PHONY: all lib test asan valgrind valgrind-deps sweep bench bench-check bench-compare bench-report bench-figures readme-perf demo train install uninstall clean deps deps-test deps-data check
.PHONY: speech-data speech-train speech-demo deps-speech rnnpool-models rnnpool-demo count-demo
.DELETE_ON_ERROR:

all: lib $(SIRNN) $(BENCH)
lib: $(STATIC) $(SHARED) $(PC)

deps:
	@build/deps.sh build
deps-test:
	@build/deps.sh build test data
deps-data:
	@build/deps.sh build data

# Per-ISA flags come from the file name only.
ISA_OF = $(lastword $(subst _, ,$(basename $(notdir $1))))
$(OBJ)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(ISA_FLAGS_$(call ISA_OF,$<)) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libsirnn.so.$(SOVERSION) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
	ln -sf libsirnn.so.$(VERSION) $(OUT)/lib/libsirnn.so.$(SOVERSION)
	ln -sf libsirnn.so.$(VERSION) $(OUT)/lib/libsirnn.so

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
             -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|'

# The in-tree .pc describes the default PREFIX; install writes one for the
# PREFIX it is given.
$(PC): build/sirnn.pc.in build/config.mk
	@mkdir -p $(dir $@)
	$(PC_SED) $< > $@

# `sirnn import` reads ONNX through C code that protoc-c generates from the
# schema of libonnx-dev at build time (never committed); only the tool links
# protobuf-c, the library does not.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN := $(OUT)/gen
$(GEN)/onnx.pb-c.c: | deps
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) --proto_path=$(dir $(ONNX_PROTO)) $(ONNX_PROTO)
$(GEN)/onnx.pb-c.h: $(GEN)/onnx.pb-c.c
$(OBJ)/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -I$(GEN) $(CFLAGS_ALL) -w -c $< -o $@
$(OBJ)/tools/onnx_import.o: $(GEN)/onnx.pb-c.h
$(OBJ)/tools/onnx_import.o: CPPFLAGS_ALL += -I$(GEN)

$(SIRNN): $(patsubst %.c,$(OBJ)/%.o,$(TOOL_SRCS)) $(OBJ)/gen/onnx.pb-c.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lprotobuf-c $(LDLIBS_ALL)

$(BENCH): $(patsubst %.c,$(OBJ)/%.o,$(BENCH_SRCS)) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(OUT)/bin/tests/%: $(OBJ)/tests/%.o $(patsubst %.c,$(OBJ)/%.o,$(TEST_LIBSRCS)) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lcmocka $(LDLIBS_ALL)

$(TESTS): | deps-test

# test_nn_secure runs the sirnn tool of the same build (serve/query as two
# processes), so it needs that binary and its path.
$(OUT)/bin/tests/test_nn_secure: | $(SIRNN)
$(OBJ)/tests/test_nn_secure.o: CPPFLAGS_ALL += -DSIRNN_BIN='"$(SIRNN)"'
$(OUT)/bin/tests/test_graph: | $(SIRNN)
$(OBJ)/tests/test_graph.o: CPPFLAGS_ALL += -DSIRNN_BIN='"$(SIRNN)"'

# Each test binary runs on its own; all of them run even if one fails. The
# last line counts binaries in the "N passed, N failed" form.
# Test binaries run TEST_JOBS at a time; their logs are printed in order.
TEST_JOBS ?= 2
test: $(TESTS)
	@build/run_tests.sh $(TEST_JOBS) $(TESTS)
check: test

asan:
	$(MAKE) OUT=build/out/asan SAN=1 test

# libFuzzer targets (fuzz/fuzz_*.c), built with clang in build/out/fuzz and
# run for FUZZ_SECONDS each, all at once, from seeds recorded from real
# sessions (fuzz/make_seeds.c) and the inputs of past findings kept in
# fuzz/corpus/<target>/; a crash fails the target.
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-run
fuzz:
	@build/deps.sh fuzz
	$(MAKE) OUT=build/out/fuzz CC=clang SAN=fuzz WERROR=0 fuzz-run
fuzz-run: $(patsubst %,$(OUT)/bin/fuzz/%,$(FUZZ_NAMES)) $(OUT)/bin/fuzz/make_seeds
	rm -rf $(OUT)/fuzz-seeds
	$(OUT)/bin/fuzz/make_seeds $(OUT)/fuzz-seeds
	mkdir -p $(OUT)/fuzz-seeds/fuzz_onnx
	cp models/*.onnx tests/vectors/graph/*.onnx $(OUT)/fuzz-seeds/fuzz_onnx/
	$(MAKE) -j$(words $(FUZZ_NAMES)) $(patsubst %,fuzz-run-%,$(FUZZ_NAMES))
fuzz-run-%: $(OUT)/bin/fuzz/%
	@mkdir -p $(OUT)/fuzz-corpus/$*
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=49152 -timeout=20 -print_final_stats=1 \
	  $(OUT)/fuzz-corpus/$* $(OUT)/fuzz-seeds/$* $(wildcard fuzz/corpus/$*) > $(OUT)/fuzz-$*.log 2>&1 \
	  || { tail -60 $(OUT)/fuzz-$*.log; echo "fuzz FAILED: $*"; exit 1; }
	@grep -E "stat::number_of_executed_units|stat::peak_rss_mb" $(OUT)/fuzz-$*.log | \
	  sed 's/^/$*: /'
$(OUT)/bin/fuzz/make_seeds: $(OBJ)/fuzz/make_seeds.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
$(OUT)/bin/fuzz/%: $(OBJ)/fuzz/%.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)
# the importer target links the importer and the protobuf-c code generated
# for it; its seeds are the shipped ONNX models and test graphs
$(OUT)/bin/fuzz/fuzz_onnx: $(OBJ)/fuzz/fuzz_onnx.o $(OBJ)/tools/onnx_import.o \
                           $(OBJ)/gen/onnx.pb-c.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ -lprotobuf-c $(LDLIBS_ALL)

# Constant-time check, secp256k1 style (ctime/ctime_test.c): secrets marked
# undefined for memcheck, any branch or index on them reported. The checker
# must also catch the deliberate leak of --leak.
.PHONY: ctime ctime-run
ctime: | valgrind-deps
	$(MAKE) OUT=build/out/ctime CTIME=1 ctime-run
ctime-run: $(OUT)/bin/ctime_test
	@if valgrind --error-exitcode=42 --quiet $< --leak > /dev/null 2>&1; then \
	  echo "ctime: the check missed a secret-dependent branch"; exit 1; fi
	valgrind --error-exitcode=42 --track-origins=yes --quiet $<
$(OUT)/bin/ctime_test: $(OBJ)/ctime/ctime_test.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

# No --track-origins here: it finds nothing more and costs about 30% more
# CPU (test_trunc: 22.3 s against 17.2 s) in CI's longest step; on a
# failure, rerun the one binary with VALGRIND_EXTRA=--track-origins=yes to
# see where a value came from.
VALGRIND_EXTRA ?=
VALGRIND_FLAGS := --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
                  --show-leak-kinds=definite,indirect --quiet $(VALGRIND_EXTRA)
# One target per test binary, so that `make -j2 valgrind` uses both cores
# (valgrind runs a process's threads on one core).
# The longest runs first, so that `make -j2 valgrind` ends with short ones.
# test_math_sweep is left to make test and asan: it checks the math
# functions' error bounds over their formats, on the code paths that
# test_math_exp, _div and _rsqrt already run under valgrind.
VALGRIND_FIRST := test_party test_nn_secure test_ot test_graph test_math_div \
                  test_math_rsqrt test_math_exp
VALGRIND_SKIP := test_math_sweep
VALGRIND_RUNS := $(foreach t,$(VALGRIND_FIRST),$(if $(filter $(t),$(notdir $(TESTS))),valgrind-$(t))) \
                 $(patsubst %,valgrind-%,$(filter-out $(VALGRIND_FIRST) $(VALGRIND_SKIP),$(notdir $(TESTS))))
valgrind: $(VALGRIND_RUNS)
	@echo "valgrind: $(words $(VALGRIND_RUNS)) passed, 0 failed"
valgrind-%: $(OUT)/bin/tests/% | valgrind-deps
	@mkdir -p $(OUT)/valgrind
	@if SIRNN_TEST_QUICK=1 valgrind $(VALGRIND_FLAGS) $< > $(OUT)/valgrind/$*.log 2>&1; then \
	  echo "valgrind ok: $*"; \
	else cat $(OUT)/valgrind/$*.log; echo "valgrind FAILED: $* (origins of uninitialised values: make valgrind-$* VALGRIND_EXTRA=--track-origins=yes)"; exit 1; fi
valgrind-deps:
	@build/deps.sh valgrind

# Every accepted format of every math function against its stated bound
# (tests/test_math_sweep.c; make test runs a seeded sample of it).
# SIRNN_SWEEP_ONLY=rsqrt sweeps one function, SIRNN_SWEEP_SHARD=i/n one n-th of it.
sweep: $(OUT)/bin/tests/test_math_sweep
	SIRNN_SWEEP=full $<

bench: $(BENCH)
	$(BENCH) --all

bench-check: $(BENCH)
	bench/check_costs.sh bench/baseline.json
	$(BENCH) --check bench/baseline.json

PAIRS ?= 9
POINTS ?= bench/compare/ci.points
bench-compare: $(BENCH)
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git revision> [PAIRS=9] [POINTS=file] [GATE=1.25]"; exit 2; }
	bench/compare.sh --bench $(BENCH) --pairs $(PAIRS) --points $(POINTS) $(if $(GATE),--gate $(GATE)) $(BASE)

# The report and the README table come from one data set (bench/report.py).
REPORT := $(OUT)/report
REPS ?= 3
bench-report: $(BENCH) $(SIRNN)
	@build/deps.sh report
	$(if $(RESULTS),,bench/report.py measure --bench $(BENCH) --reps $(REPS) --out $(REPORT)/results.jsonl)
	bench/report.py render --results $(or $(RESULTS),$(REPORT)/results.jsonl) --out $(REPORT)

bench-figures: bench-report
	bench/report.py record --results $(or $(RESULTS),$(REPORT)/results.jsonl)
	bench/report.py readme

readme-perf:
	@build/deps.sh readme
	bench/report.py readme

demo: $(SIRNN) | deps-data
	$(SIRNN) demo

train: $(SIRNN) | deps-data
	$(SIRNN) train --pre-limit 3.5 --pre-weight 0.005 --out models/fashion_fastgrnn.sirnn

# RNNPool (CNN + RNN, scripts/train_rnnpool.py): the shipped ONNX models are
# imported (calibrated, quantised) into $(OUT), then run end to end. The
# counting canvases come from scripts/make_canvases.py (fixed seeds).
CANVAS_DIR ?= $(OUT)/canvas
RNNPOOL_IMAGES ?= 100
$(OUT)/fashion_rnnpool.sirnn: models/fashion_rnnpool.onnx $(SIRNN) | deps-data
	$(SIRNN) import $< --calib fashion --eval 0 --quiet -o $@
$(CANVAS_DIR)/test-labels-idx1-ubyte.gz: scripts/make_canvases.py | deps-data
	@build/deps.sh canvas
	nice -n 19 /usr/bin/python3 scripts/make_canvases.py $(CANVAS_DIR)
$(OUT)/count_rnnpool.sirnn: models/count_rnnpool.onnx $(SIRNN) $(CANVAS_DIR)/test-labels-idx1-ubyte.gz
	$(SIRNN) import $< --calib $(CANVAS_DIR)/calib.f32 --quiet -o $@
rnnpool-models: $(OUT)/fashion_rnnpool.sirnn $(OUT)/count_rnnpool.sirnn
rnnpool-demo: $(OUT)/fashion_rnnpool.sirnn
	$(SIRNN) demo --model $< --images $(RNNPOOL_IMAGES)
count-demo: $(OUT)/count_rnnpool.sirnn
	$(SIRNN) demo --model $< --images $(RNNPOOL_IMAGES) \
	  --idx $(CANVAS_DIR)/test-images-idx3-ubyte.gz,$(CANVAS_DIR)/test-labels-idx1-ubyte.gz

# Keyword spotting on synthesised speech (scripts/speech_dataset.sh: espeak-ng
# and sox, a few minutes on two cores; SPEECH_DATA_OPTS=... passes options).
SPEECH_DIR ?= $(OUT)/speech
deps-speech:
	@build/deps.sh speech
speech-data: | deps-speech
	@if [ -f $(SPEECH_DIR)/test.txt ]; then echo "$(SPEECH_DIR): already made"; \
	else nice -n 19 scripts/speech_dataset.sh $(SPEECH_DATA_OPTS) $(SPEECH_DIR); fi
speech-train: $(SIRNN) speech-data
	nice -n 19 $(SIRNN) train --speech $(SPEECH_DIR) $(SPEECH_TRAIN_OPTS) --out models/speech_fastgrnn.sirnn
speech-demo: $(SIRNN) speech-data
	$(SIRNN) demo --model models/speech_fastgrnn.sirnn --speech $(SPEECH_DIR)

install: lib $(SIRNN)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/sirnn $(DESTDIR)$(PKGDIR) $(DESTDIR)$(BINDIR)
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libsirnn.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsirnn.so.$(SOVERSION)
	ln -sf libsirnn.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsirnn.so
	install -m 644 include/sirnn/*.h $(DESTDIR)$(INCDIR)/sirnn/
	$(PC_SED) build/sirnn.pc.in > $(DESTDIR)$(PKGDIR)/sirnn.pc
	chmod 644 $(DESTDIR)$(PKGDIR)/sirnn.pc
	install -m 755 $(SIRNN) $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libsirnn.a $(DESTDIR)$(LIBDIR)/libsirnn.so \
	      $(DESTDIR)$(LIBDIR)/libsirnn.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libsirnn.so.$(VERSION) \
	      $(DESTDIR)$(PKGDIR)/sirnn.pc $(DESTDIR)$(BINDIR)/sirnn
	rm -rf $(DESTDIR)$(INCDIR)/sirnn

clean:
	rm -rf build/out

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)
