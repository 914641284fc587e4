# Every dependency comes from Debian 12 packages (packaging/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
# BERTH_STATIC_LIBS (below): Boost.JSON's archive; Boost's package picks it.
option(BERTH_STATIC_LIBS "Link Abseil, Boost.JSON and RE2 statically" ON)
if(BERTH_STATIC_LIBS)
  set(Boost_USE_STATIC_LIBS ON)
endif()
find_package(Boost 1.81 REQUIRED COMPONENTS json)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Abseil's, Boost.JSON's and RE2's static archives instead of their ~32
# shared objects. Every shared object a process maps costs resident pages
# (relocated data, the pages around each touched one) and VMAs: for
# berth-agent about 1.5 MB resident at idle. Debian's -dev packages ship
# both; Abseil's CMake package and RE2's pkg-config name the shared ones, so
# the imported targets are pointed at the archives.
if(BERTH_STATIC_LIBS)
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
          message(FATAL_ERROR "BERTH_STATIC_LIBS: ${_archive} is missing (libabsl-dev)")
        endif()
        set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_${_config} "${_archive}"
                                                    IMPORTED_NO_SONAME_${_config} TRUE)
      endif()
    endforeach()
  endforeach()
  # libbpf (and its libelf) too: the agent uses a fraction of either.
  find_library(_berth_libbpf_a NAMES libbpf.a REQUIRED)
  find_library(_berth_libelf_a NAMES libelf.a REQUIRED)
  set_target_properties(PkgConfig::LIBBPF PROPERTIES
    INTERFACE_LINK_LIBRARIES "${_berth_libbpf_a};${_berth_libelf_a};z")
  get_target_property(_re2_libs PkgConfig::RE2 INTERFACE_LINK_LIBRARIES)
  list(TRANSFORM _re2_libs REPLACE "/libre2\\.so$" "/libre2.a")
  set_target_properties(PkgConfig::RE2 PROPERTIES INTERFACE_LINK_LIBRARIES "${_re2_libs}")
endif()
