# Build configuration. Override any variable on the command line, e.g.
#   make CC=clang WERROR=1

CC      ?= cc
AR      ?= ar
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
PKGDIR  ?= $(LIBDIR)/pkgconfig

VERSION := 0.1.0
SOVERSION := 0

# Warnings required by the developers' guide; CI adds -Werror (WERROR=1).
WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

OPT ?= -O2
BASE_CFLAGS := -std=c11 $(OPT) -g -fPIC -fvisibility=hidden -fopenmp \
               -D_GNU_SOURCE $(WARNINGS)
BASE_CPPFLAGS := -Iinclude -I.
BASE_LDLIBS := -lssl -lcrypto -lz -lsndfile -lfftw3 -lpthread -lm

# Sanitizer build (make asan).
ifeq ($(SAN),1)
BASE_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
BASE_LDFLAGS += -fsanitize=address,undefined
endif

# Fuzzing build (make fuzz, clang): coverage for libFuzzer, ASan, UBSan.
ifeq ($(SAN),fuzz)
BASE_CFLAGS += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
BASE_LDFLAGS += -fsanitize=address,undefined
endif

# Constant-time check build (make ctime): sent bytes are declassified.
ifeq ($(CTIME),1)
BASE_CFLAGS += -DSIRNN_CTIME
endif

# Per-ISA flags: only files named *_<isa>.c get them; everything else is
# baseline x86-64. Never -march=native.
ISA_FLAGS_sse2   :=
ISA_FLAGS_aesni  := -mssse3 -msse4.1 -maes -mpclmul
ISA_FLAGS_avx2   := -mssse3 -msse4.1 -maes -mpclmul -mavx -mavx2 -mbmi2 -mvaes
ISA_FLAGS_avx512 := -mssse3 -msse4.1 -maes -mpclmul -mavx -mavx2 -mbmi2 -mvaes \
                    -mvpclmulqdq -mavx512f -mavx512bw -mavx512vl
