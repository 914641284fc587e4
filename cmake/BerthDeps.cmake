# Every dependency comes from Debian 12 packages (packaging/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Abseil's static archives instead of its ~30 shared objects. Every shared
# object a process maps costs resident pages (relocated data, the pages
# around each touched one) and VMAs that every fork copies: for berth-agent,
# whose shims are forks of it, about 1 MB resident at idle and a slower
# launch. Debian's libabsl-dev ships both; its CMake package names the
# shared ones, so the imported targets are pointed at the archives.
option(BERTH_STATIC_ABSL "Link Abseil statically" ON)
if(BERTH_STATIC_ABSL)
  get_directory_property(_berth_imported IMPORTED_TARGETS)
  foreach(_target IN LISTS _berth_imported)
    if(NOT _target MATCHES "^absl::")
      continue()
    endif()
    get_target_property(_type ${_target} TYPE)
    if(NOT _type STREQUAL "SHARED_LIBRARY")
      continue()
    endif()
    foreach(_config IN ITEMS NONE RELEASE RELWITHDEBINFO DEBUG)
      get_target_property(_location ${_target} IMPORTED_LOCATION_${_config})
      if(_location MATCHES "^(.*/lib[A-Za-z0-9_]+)\\.so[.0-9]*$")
        set(_archive "${CMAKE_MATCH_1}.a")
        if(NOT EXISTS "${_archive}")
          message(FATAL_ERROR "BERTH_STATIC_ABSL: ${_archive} is missing (libabsl-dev)")
        endif()
        set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_${_config} "${_archive}"
                                                    IMPORTED_NO_SONAME_${_config} TRUE)
      endif()
    endforeach()
  endforeach()
endif()
