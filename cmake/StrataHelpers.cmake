# strata_library(<name> SOURCES ... [DEPS ...])
#   A module library with the project's warnings; include root is src/.
function(strata_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${STRATA_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# strata_test(<name> SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT seconds])
#   A GoogleTest binary; each TEST becomes one ctest test.
function(strata_test name)
  if(NOT STRATA_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${STRATA_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  # Where tests find the binary under test and the source tree (examples/); the environment
  # variables STRATA_BINARY and STRATA_SOURCE_DIR override them.
  target_compile_definitions(${name} PRIVATE
    STRATA_DEFAULT_BINARY="$<TARGET_FILE:strata>"
    STRATA_DEFAULT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_dependencies(${name} strata)
  set(properties TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LABELS)
    list(APPEND properties LABELS ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${properties})
endfunction()
