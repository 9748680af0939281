# Convenience targets; the scripts do the work (and install what is missing).
BUILD_DIR ?= build
.PHONY: all test demo asan clean
all:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j2
test:
	sh scripts/test.sh
demo:
	sh scripts/demo.sh
asan:
	BUILD_DIR=build-asan CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug -DRNNKIT_SANITIZE=ON" sh scripts/test.sh
clean:
	rm -rf build build-asan build-clang demo-out
