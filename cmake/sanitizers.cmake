# Sanitizer and fuzzing builds, each in a build tree of its own (scripts/sanitize.sh
# makes them):
#   -DCONVENE_SANITIZE=address,undefined   ASan + UBSan: memory errors, leaks, UB
#   -DCONVENE_SANITIZE=thread              TSan: data races
#   -DCONVENE_FUZZ=ON                      libFuzzer targets in fuzz/ (clang only)
# Every library is compiled with the same flags, so a report points into our code
# and not only into the test that happened to call it.
set(CONVENE_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined or thread")
option(CONVENE_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

if(CONVENE_SANITIZE)
  # -O1 keeps stack traces readable and the run fast enough for CI; no recovery,
  # so UBSan's first report fails the test that triggered it.
  add_compile_options(-fsanitize=${CONVENE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all -O1)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-gline-tables-only)  # file:line in reports, a fraction of full debug info's build time
  endif()
  add_link_options(-fsanitize=${CONVENE_SANITIZE})
endif()

if(CONVENE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CONVENE_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  # Coverage feedback for the libraries; the fuzzer's main is linked only into fuzz/.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
