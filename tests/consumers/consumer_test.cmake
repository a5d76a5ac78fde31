# Builds one consumer project of tests/consumers/ as its users would and checks what it produced:
#
#   cmake -DCONSUMER=<find_package|add_subdirectory|fetchcontent> -DPGSEED_SOURCE_DIR=<dir>
#         -DPGSEED_BUILD_DIR=<dir> -DWORK_DIR=<dir> [-DINSTALL_PREFIX=<dir>] [-DBUILD_ARGS=<list>]
#         -P consumer_test.cmake
#
# CONSUMER=install instead runs `cmake --install` of pgseed's build into INSTALL_PREFIX (emptied
# first) and checks what it put there: the prefix the find_package consumer then uses.
#
# The consumer is copied to <WORK_DIR>/src (its dumps must land there, not in pgseed's tree) and
# built in <WORK_DIR>/build. It gets only what its way in gives it: the installed prefix
# (find_package), or pgseed's source tree (add_subdirectory, FetchContent). Its generate-dump and
# install-initdb targets run for real: a throwaway cluster, pg_dump, the init script staged.
cmake_minimum_required(VERSION 3.25)

foreach(variable CONSUMER PGSEED_SOURCE_DIR PGSEED_BUILD_DIR WORK_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "consumer_test.cmake: -D${variable}=... is required")
  endif()
endforeach()

function(fail)
  string(JOIN "" message ${ARGN})
  message(FATAL_ERROR "consumer ${CONSUMER}: ${message}")
endfunction()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  string(JOIN " " command ${ARGN})
  if(NOT result EQUAL 0)
    fail("`${command}` failed (${result}):\n${output}")
  endif()
  message(STATUS "ok: ${command}")
endfunction()

# Nothing from the caller's environment may choose the database or the dumps.
foreach(variable DATABASE_URL PGSEED_ENVIRONMENT PGSEED_DUMP_DIR PGSEED_DATABASE_URL PGSEED_SEED_SET
                 CMAKE_PREFIX_PATH PGSEED_LOCAL_SERVER_DIR PGSEED_LOCAL_PORT)
  unset(ENV{${variable}})
endforeach()

if(CONSUMER STREQUAL "install")
  file(REMOVE_RECURSE "${INSTALL_PREFIX}")
  run("${CMAKE_COMMAND}" --install "${PGSEED_BUILD_DIR}" --prefix "${INSTALL_PREFIX}")
  foreach(path bin/pgseed share/pgseed/init-db.sh lib/cmake/pgseed/pgseedConfig.cmake
               lib/cmake/pgseed/pgseedConfigVersion.cmake lib/cmake/pgseed/pgseedTargets.cmake
               lib/cmake/pgseed/pgseedInstallPaths.cmake lib/cmake/pgseed/pgseed.cmake)
    if(NOT EXISTS "${INSTALL_PREFIX}/${path}")
      fail("cmake --install did not install ${path}")
    endif()
  endforeach()
  # Every module file of cmake/ but the build-only one.
  file(GLOB modules RELATIVE "${PGSEED_SOURCE_DIR}/cmake" "${PGSEED_SOURCE_DIR}/cmake/pgseed*.cmake")
  foreach(module IN LISTS modules)
    if(module STREQUAL "pgseedDependencies.cmake")
      if(EXISTS "${INSTALL_PREFIX}/lib/cmake/pgseed/${module}")
        fail("the build-only ${module} was installed")
      endif()
    elseif(NOT EXISTS "${INSTALL_PREFIX}/lib/cmake/pgseed/${module}")
      fail("the module file ${module} was not installed")
    endif()
  endforeach()
  if(EXISTS "${INSTALL_PREFIX}/docker-entrypoint-initdb.d")
    fail("a plain cmake --install installed the example app's initdb component")
  endif()
  file(STRINGS "${INSTALL_PREFIX}/lib/cmake/pgseed/pgseedTargets.cmake" exported REGEX "pgseed::pgseed")
  if(NOT exported MATCHES "add_executable\\(pgseed::pgseed IMPORTED\\)")
    fail("pgseedTargets.cmake does not export the executable pgseed::pgseed")
  endif()
  message(STATUS "pgseed installed into ${INSTALL_PREFIX}")
  return()
endif()

set(source "${WORK_DIR}/src")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(COPY "${CMAKE_CURRENT_LIST_DIR}/${CONSUMER}/" DESTINATION "${source}")

set(configure_args)
if(CONSUMER STREQUAL "find_package")
  if(NOT IS_DIRECTORY "${INSTALL_PREFIX}")
    fail("no installed pgseed in ${INSTALL_PREFIX} (the install fixture runs first)")
  endif()
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${INSTALL_PREFIX}")
elseif(CONSUMER STREQUAL "add_subdirectory")
  file(MAKE_DIRECTORY "${source}/third_party")
  file(CREATE_LINK "${PGSEED_SOURCE_DIR}" "${source}/third_party/pgseed" SYMBOLIC)
elseif(CONSUMER STREQUAL "fetchcontent")
  list(APPEND configure_args "-DBLOG_PGSEED_SOURCE=${PGSEED_SOURCE_DIR}")
else()
  fail("unknown consumer")
endif()

# Its own git repository, as a real project has: the dump's version is then the consumer's commit.
set(git git -C "${source}" -c user.name=consumer -c user.email=consumer@pgseed.invalid)
run(${git} init -q)
run(${git} add -A)
run(${git} commit -q -m "the ${CONSUMER} consumer")
execute_process(COMMAND git -C "${source}" rev-parse HEAD OUTPUT_VARIABLE consumer_commit
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)

file(GLOB pgseed_dumps_before LIST_DIRECTORIES true "${PGSEED_SOURCE_DIR}/dumps/*")

# One pgseed_add_database_targets() call: its targets (named with `prefix`) write the dump of the
# project in <source>/<directory> into that project's dumps/ and stage it in <build>/<prefix>initdb.
function(check_database_targets prefix directory)
  set(project "${source}/${directory}")
  run("${CMAKE_COMMAND}" --build "${build}" --parallel 2 --target ${prefix}generate-dump)
  run("${CMAKE_COMMAND}" --build "${build}" --target ${prefix}install-initdb)

  # The dump and its metadata are the consumer's, in the consumer's dumps/.
  set(dumps "${project}/dumps")
  foreach(suffix .dump .metadata.json)
    if(NOT EXISTS "${dumps}/dev-seeded-latest${suffix}")
      fail("no ${dumps}/dev-seeded-latest${suffix}")
    endif()
  endforeach()
  file(READ "${dumps}/dev-seeded-latest.metadata.json" metadata)
  string(JSON dumped_version GET "${metadata}" version)
  if(NOT dumped_version STREQUAL consumer_commit)
    fail("the metadata's version is ${dumped_version}, not the consumer's commit ${consumer_commit}")
  endif()

  # Every table of the profile with the count the profile gives it, and no other table.
  file(READ "${project}/seeds/dev.json" profile)
  string(JSON counts GET "${metadata}" recordCounts)
  string(JSON tables_in_dump LENGTH "${counts}")
  string(JSON steps LENGTH "${profile}" steps)
  math(EXPR last "${steps} - 1")
  set(tables_in_profile 0)
  foreach(index RANGE ${last})
    string(JSON step GET "${profile}" steps ${index})
    string(JSON table ERROR_VARIABLE not_generated GET "${step}" generate)
    if(not_generated)
      string(JSON table GET "${step}" table)
      string(JSON csv GET "${step}" csv)
      file(STRINGS "${project}/seeds/${csv}" lines)
      list(LENGTH lines expected)
      math(EXPR expected "${expected} - 1")  # the header
    else()
      string(JSON expected GET "${step}" count)
    endif()
    string(JSON actual ERROR_VARIABLE missing GET "${counts}" "public.${table}")
    if(missing)
      fail("public.${table} is not in the metadata's recordCounts: ${counts}")
    endif()
    if(NOT actual EQUAL expected)
      fail("public.${table}: ${actual} rows in the metadata, the profile gives ${expected}")
    endif()
    math(EXPR tables_in_profile "${tables_in_profile} + 1")
  endforeach()
  if(NOT tables_in_dump EQUAL tables_in_profile)
    fail("the metadata counts ${tables_in_dump} tables, the profile fills ${tables_in_profile}: ${counts}")
  endif()

  # install-initdb staged the init script and the latest dump and metadata, as regular files.
  set(initdb "${build}/${prefix}initdb/docker-entrypoint-initdb.d")
  set(script "${initdb}/10-${prefix}pgseed-restore.sh")
  if(NOT EXISTS "${script}" OR IS_SYMLINK "${script}")
    fail("install-initdb did not stage ${script}")
  endif()
  file(READ "${script}" staged_script)
  file(READ "${PGSEED_SOURCE_DIR}/scripts/init-db.sh" init_script)
  if(NOT staged_script STREQUAL init_script)
    fail("the staged ${script} is not scripts/init-db.sh")
  endif()
  file(GLOB staged_files RELATIVE "${initdb}" "${initdb}/*")
  list(SORT staged_files)
  set(expected_files "10-${prefix}pgseed-restore.sh;dev-seeded-latest.dump;dev-seeded-latest.metadata.json")
  if(NOT staged_files STREQUAL expected_files)
    fail("${initdb} holds ${staged_files}, expected ${expected_files}")
  endif()
  foreach(suffix .dump .metadata.json)
    set(staged "${initdb}/dev-seeded-latest${suffix}")
    if(IS_SYMLINK "${staged}")
      fail("install-initdb staged ${staged} as a link, not a regular file")
    endif()
    file(SHA256 "${staged}" staged_hash)
    file(SHA256 "${dumps}/dev-seeded-latest${suffix}" latest_hash)
    if(NOT staged_hash STREQUAL latest_hash)
      fail("${staged} is not the latest dev${suffix} of ${dumps}")
    endif()
  endforeach()
  message(STATUS "ok: ${prefix}generate-dump and ${prefix}install-initdb for ${project}")
endfunction()

run("${CMAKE_COMMAND}" -S "${source}" -B "${build}" ${configure_args} ${BUILD_ARGS})
check_database_targets("" ".")
# A second set of targets from a subdirectory with a PREFIX, where the consumer has one.
if(EXISTS "${source}/reports/CMakeLists.txt")
  check_database_targets("reports-" "reports")
endif()
file(GLOB pgseed_dumps_after LIST_DIRECTORIES true "${PGSEED_SOURCE_DIR}/dumps/*")
if(NOT pgseed_dumps_before STREQUAL pgseed_dumps_after)
  fail("pgseed's own dumps/ changed: ${pgseed_dumps_after}")
endif()

if(CONSUMER STREQUAL "find_package")
  # The package was found in the prefix, and nothing the build runs or installs comes from pgseed's
  # source or build tree: the installed package stands on its own.
  file(STRINGS "${build}/CMakeCache.txt" package_dir REGEX "^pgseed_DIR:")
  if(NOT package_dir MATCHES "=${INSTALL_PREFIX}/lib/cmake/pgseed$")
    fail("pgseed was not found in the installed prefix: ${package_dir}")
  endif()
  file(GLOB_RECURSE build_files "${build}/Makefile" "${build}/*.make" "${build}/cmake_install.cmake")
  file(GLOB_RECURSE package_files "${INSTALL_PREFIX}/lib/cmake/*" "${INSTALL_PREFIX}/share/pgseed/*")
  foreach(file IN LISTS build_files package_files)
    file(READ "${file}" content)
    foreach(forbidden "${PGSEED_SOURCE_DIR}/cmake" "${PGSEED_SOURCE_DIR}/scripts" "${PGSEED_BUILD_DIR}/bin"
                      "${PGSEED_SOURCE_DIR}/src")
      string(FIND "${content}" "${forbidden}" at)
      if(NOT at EQUAL -1)
        fail("${file} refers to ${forbidden}")
      endif()
    endforeach()
  endforeach()
  file(READ "${build}/CMakeFiles/generate-dump.dir/build.make" generate_rule)
  string(FIND "${generate_rule}" "${INSTALL_PREFIX}/bin/pgseed" at)
  if(at EQUAL -1)
    fail("generate-dump does not run ${INSTALL_PREFIX}/bin/pgseed")
  endif()
endif()

message(STATUS "consumer ${CONSUMER}: dump, metadata and init script as expected")
