# Test tiers are ctest labels: unit, kernel, system, vm, compat, fuzz.
include(GoogleTest)
enable_testing()

# berth_gtest(NAME <target> TIER <label> SOURCES ... LIBS ...)
# Builds one GoogleTest binary and registers each of its tests with ctest,
# labelled with the tier. GTEST_SKIP() shows up as a ctest skip, never a pass.
function(berth_gtest)
  cmake_parse_arguments(T "" "NAME;TIER;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${T_NAME}
    TEST_PREFIX "${T_TIER}.${T_NAME}."
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS ${T_TIER}
               TIMEOUT ${T_TIMEOUT}
               SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endfunction()

# berth_add_subdirs(<dir>...): add the listed subdirectories that exist, so a
# folder can list its children before all of them have landed.
macro(berth_add_subdirs)
  foreach(_d ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_d}/CMakeLists.txt)
      add_subdirectory(${_d})
    endif()
  endforeach()
endmacro()

# berth_fuzz_target(NAME <target> SOURCES ... LIBS ... [SEEDS <dir>])
# A libFuzzer target (only in the 'fuzz' preset), registered with ctest under
# the 'fuzz' label. It runs for BERTH_FUZZ_SECONDS (environment, default 60)
# from the checked-in seed corpus; new inputs go to the build tree.
function(berth_fuzz_target)
  cmake_parse_arguments(F "" "NAME;SEEDS" "SOURCES;LIBS" ${ARGN})
  if(NOT BERTH_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  if(NOT TARGET fuzz_targets)
    add_custom_target(fuzz_targets)
  endif()
  add_dependencies(fuzz_targets ${F_NAME})
  if(NOT F_SEEDS)
    set(F_SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/corpus)
  endif()
  add_test(NAME fuzz.${F_NAME}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzz.sh
                   $<TARGET_FILE:${F_NAME}> ${F_SEEDS}
                   ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.work)
  set_tests_properties(fuzz.${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 900)
endfunction()
