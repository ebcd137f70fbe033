# convene_library(<name> DEPS <targets...>)
#
# One static library per src/ directory, named convene_<name>, made of the
# directory's *.cpp files; the *_test.cpp files beside them form one GoogleTest
# executable <name>_test. Keeping the rule in one place keeps every directory's
# CMakeLists.txt to a single line.
function(convene_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  if(tests)
    list(REMOVE_ITEM sources ${tests})
  endif()
  add_library(convene_${name} STATIC ${sources})
  target_include_directories(convene_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(convene_${name} PUBLIC ${ARG_DEPS})
  if(tests AND BUILD_TESTING)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test PRIVATE convene_${name} ${ARG_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${name}_test DISCOVERY_MODE PRE_TEST
      PROPERTIES ENVIRONMENT "CONVENE_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp")
  endif()
endfunction()
