# Builds the .deb with cpack from pgseed's build tree and checks it as dpkg and a user would see it:
#
#   cmake -DPGSEED_BUILD_DIR=<dir> -DWORK_DIR=<dir> -DVERSION=<x.y.z> -P deb_test.cmake
#
# control fields, the file list, apt's dependency resolution (`apt-get install --simulate`), then
# the package unpacked into a scratch root: its pgseed runs with the system's library paths, and its
# CMake package is found there and points into that root.
cmake_minimum_required(VERSION 3.25)

foreach(variable PGSEED_BUILD_DIR WORK_DIR VERSION)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "deb_test.cmake: -D${variable}=... is required")
  endif()
endforeach()

function(fail)
  string(JOIN "" message ${ARGN})
  message(FATAL_ERROR "deb: ${message}")
endfunction()

# Runs a command, fails on a nonzero exit, leaves its stdout in `out`.
function(run out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
  string(JOIN " " command ${ARGN})
  if(NOT result EQUAL 0)
    fail("`${command}` failed (${result}):\n${output}${errors}")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
find_program(CPACK cpack HINTS "${CMAKE_COMMAND}/.." REQUIRED)
run(ignored "${CPACK}" -G DEB --config "${PGSEED_BUILD_DIR}/CPackConfig.cmake" -B "${WORK_DIR}")
file(GLOB debs "${WORK_DIR}/pgseed_*.deb")
list(LENGTH debs count)
if(NOT count EQUAL 1)
  fail("expected one pgseed_*.deb in ${WORK_DIR}, found: ${debs}")
endif()
set(deb "${debs}")

# The control file.
foreach(field Package Version Architecture Maintainer Section Homepage Depends Recommends Description)
  run(value dpkg-deb -f "${deb}" ${field})
  string(STRIP "${value}" value)
  if(value STREQUAL "")
    fail("the control file has no ${field}")
  endif()
  set(control_${field} "${value}")
endforeach()
if(NOT control_Package STREQUAL "pgseed" OR NOT control_Version STREQUAL "${VERSION}")
  fail("package ${control_Package} version ${control_Version}, expected pgseed ${VERSION}")
endif()
# Shared libraries come from dpkg-shlibdeps, the PostgreSQL programs from the explicit list.
foreach(dependency "libpqxx-" "libpq5" "libssl3" "libstdc++6" "postgresql-client-15" "postgresql-15")
  string(FIND "${control_Depends}" "${dependency}" at)
  if(at EQUAL -1)
    fail("Depends lacks ${dependency}: ${control_Depends}")
  endif()
endforeach()

# The file list: the program, the init script, the CMake package; nothing build-only.
run(listing dpkg-deb -c "${deb}")
foreach(path
    ./usr/bin/pgseed
    ./usr/share/pgseed/init-db.sh
    ./usr/share/doc/pgseed/LICENSE
    ./usr/lib/cmake/pgseed/pgseedConfig.cmake
    ./usr/lib/cmake/pgseed/pgseedConfigVersion.cmake
    ./usr/lib/cmake/pgseed/pgseedTargets.cmake
    ./usr/lib/cmake/pgseed/pgseedInstallPaths.cmake
    ./usr/lib/cmake/pgseed/pgseed.cmake)
  string(FIND "${listing}" " ${path}\n" at)
  if(at EQUAL -1)
    fail("${path} is not in the package:\n${listing}")
  endif()
endforeach()
foreach(absent pgseedDependencies.cmake docker-entrypoint-initdb.d .dump install-rules.cmake)
  string(FIND "${listing}" "${absent}" at)
  if(NOT at EQUAL -1)
    fail("${absent} must not be in the package:\n${listing}")
  endif()
endforeach()
if(NOT listing MATCHES "-rwxr-xr-x [^\n]* ./usr/bin/pgseed\n")
  fail("./usr/bin/pgseed is not an executable file:\n${listing}")
endif()

# Unpacked anywhere, the program runs with the system's library paths (no RPATH into this build).
set(root "${WORK_DIR}/root")
run(ignored dpkg-deb -x "${deb}" "${root}")
unset(ENV{LD_LIBRARY_PATH})
run(version_output "${root}/usr/bin/pgseed" --version)
string(FIND "${version_output}" "${VERSION}" at)
if(at EQUAL -1)
  fail("`pgseed --version` printed ${version_output}, not version ${VERSION}")
endif()

# apt resolves its dependencies (offline here: bootstrap.sh installed them all).
find_program(APT_GET apt-get)
if(APT_GET)
  run(simulation "${APT_GET}" install --simulate --no-install-recommends "${deb}")
  if(NOT simulation MATCHES "\nInst pgseed ")
    fail("apt-get install --simulate would not install pgseed:\n${simulation}")
  endif()
endif()

# Its CMake package is found in the unpacked /usr and points into it (relocatable, no build path).
set(probe "${WORK_DIR}/probe")
file(WRITE "${probe}/CMakeLists.txt" "
cmake_minimum_required(VERSION 3.25)
project(probe LANGUAGES NONE)
find_package(pgseed ${VERSION} EXACT CONFIG REQUIRED)
get_target_property(location pgseed::pgseed IMPORTED_LOCATION_NOCONFIG)
if(NOT location)
  get_target_property(location pgseed::pgseed LOCATION)
endif()
message(STATUS \"pgseed executable: \${location}\")
if(NOT COMMAND pgseed_add_database_targets)
  message(FATAL_ERROR \"find_package(pgseed) did not define pgseed_add_database_targets\")
endif()
")
run(probe_output "${CMAKE_COMMAND}" -S "${probe}" -B "${probe}/build" "-DCMAKE_PREFIX_PATH=${root}/usr"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(NOT probe_output MATCHES "pgseed executable: ${root}/usr/bin/pgseed\n")
  fail("the unpacked package's pgseed::pgseed is not ${root}/usr/bin/pgseed:\n${probe_output}")
endif()

message(STATUS "deb: ${deb} (Depends: ${control_Depends})")
