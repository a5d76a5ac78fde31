#[=======================================================================[.rst:
pgseed
------

Adds a project's database targets: run its SQL migrations, seed it, write a verified dump, restore
and verify dumps, all with the ``pgseed`` tool.

.. command:: pgseed_add_database_targets

  ::

    pgseed_add_database_targets(
      [PGSEED_EXECUTABLE <path>]   # default: the pgseed::pgseed target, or pgseed on PATH
      [DEPENDS <target>...]        # built before any database target
      [PROJECT_DIR <dir>]          # holds migrations/ and seeds/; default CMAKE_CURRENT_SOURCE_DIR
      [DUMP_DIR <dir>]             # default PGSEED_DUMP_DIR when set, else <PROJECT_DIR>/dumps
      [PREFIX <prefix>])           # prepended to target names, to avoid clashes; default none

  Creates the targets ``migrate``, ``seed``, ``generate-dump``, ``restore-dump``,
  ``verify-dump`` and ``install-initdb`` (each preceded by ``PREFIX``). They run in the terminal
  (``USES_TERMINAL``), so ``restore-dump`` can ask for confirmation. It may be called from any
  directory of any project, and more than once with a different ``PREFIX`` each. When ``pgseed::pgseed`` is
  built in the same build (``add_subdirectory``, ``FetchContent``), the targets depend on it.

  And ``check-dump`` (cmake/pgseedCheck.cmake), which runs ``pgseed check``: it fails (exit code 6)
  when the latest dump no longer matches the project's migrations, seed profile and the files it
  uses, or ``PGSEED_SEED_SET``, naming each difference. It needs no database and reads only the
  dump's metadata.

  It also adds the install component ``<PREFIX>initdb``: ``cmake --install <build> --component
  <PREFIX>initdb --prefix <dir>`` puts the init script into ``<dir>/docker-entrypoint-initdb.d/`` as
  ``<PGSEED_INITDB_ORDER>-<PREFIX>pgseed-restore.sh`` with the environment's latest dump and
  metadata beside it, copied as regular files (a bind mount cannot follow links out of the
  directory). The environment variables ``PGSEED_ENVIRONMENT`` and ``PGSEED_DUMP_DIR``, when set at
  install time, choose another dump than the configured ones. The target ``<PREFIX>install-initdb``
  stages the same into ``<build>/<PREFIX>initdb``, which docker-compose.yml mounts.

  The module works from pgseed's source tree (``add_subdirectory``, ``FetchContent``, ``include()``)
  and installed (``find_package(pgseed CONFIG)`` includes it): it finds its files relative to
  itself.

.. command:: pgseed_add_dump_check

  ::

    pgseed_add_dump_check(
      [NAME <test>]                # default: <PREFIX>check-dump
      [PREFIX <prefix>]            # as for pgseed_add_database_targets
      [ENVIRONMENT <env>]          # default: PGSEED_ENVIRONMENT
      [PGSEED_EXECUTABLE <path>]   # default: the pgseed::pgseed target, or pgseed on PATH
      [PROJECT_DIR <dir>]          # default: CMAKE_CURRENT_SOURCE_DIR
      [DUMP_DIR <dir>])            # default PGSEED_DUMP_DIR when set, else <PROJECT_DIR>/dumps

  Adds a CTest test (label ``pgseed``) that runs ``pgseed check`` with ``PGSEED_DUMP_DIR`` and
  ``PGSEED_SEED_SET`` and fails on a stale dump, or when there is none. Call ``enable_testing()``
  (or ``include(CTest)``) first, as for any test.

Cache variables:

``PGSEED_DATABASE_URL``
  Target database, a libpq URI or keyword string. Empty (the default): the day-to-day targets use
  the project's local server, ``generate-dump`` a throwaway cluster. The URL is passed to pgseed
  through a file in the build tree readable only by its owner, never on a command line. Prefer a URL
  without a password and a ``~/.pgpass`` (or ``PGPASSFILE``): the CMake cache itself is a plain file.
``PGSEED_ENVIRONMENT``
  Which seed set and dumps: ``dev`` by default.
``PGSEED_DUMP_DIR``
  Where dumps are written and read, for every call without ``DUMP_DIR``. Empty (the default): the
  ``dumps/`` directory of each call's ``PROJECT_DIR``, i.e. of the calling project, never pgseed's.
``PGSEED_SEED_SET``
  Row counts for the seed step of ``seed`` and ``generate-dump``, as a list: ``users=20;algorithms=30``
  (each becomes ``--set``). Empty: the profile's counts.
``PGSEED_PHYSICAL``
  ``ON``: ``generate-dump`` also writes the physical snapshot ``<dump stem>.pgdata.tar.zst``
  (``pgseed dump --physical``), which the install component copies beside the dump. ``OFF`` by default.
``PGSEED_INITDB_ORDER``
  Two-digit prefix of the init script's name, which orders it among other init files: ``10``.
#]=======================================================================]
include_guard(GLOBAL)
# Before the policy block: a guarded second include returns here and must not leave a push behind.
if(CMAKE_VERSION VERSION_LESS 3.21)
  message(FATAL_ERROR "pgseed.cmake needs CMake 3.21 or later (this is ${CMAKE_VERSION})")
endif()
# The policies the module was written for, whatever the including project's cmake_minimum_required;
# functions keep the settings they were defined with.
cmake_policy(PUSH)
cmake_policy(VERSION 3.21...3.25)
include("${CMAKE_CURRENT_LIST_DIR}/pgseedCheck.cmake")

set(PGSEED_INITDB_ORDER "10" CACHE STRING "Prefix of the init script in docker-entrypoint-initdb.d")

set(PGSEED_DATABASE_URL "" CACHE STRING "Database for pgseed targets (libpq URI); empty: local server or throwaway cluster")
set(PGSEED_ENVIRONMENT "dev" CACHE STRING "pgseed environment (seed set and dump names)")
# Empty by default: a default computed here would be the project that happens to include the module
# first (pgseed itself under add_subdirectory), not the one whose dumps they are.
set(PGSEED_DUMP_DIR "" CACHE PATH "Where pgseed writes and reads dumps; empty: <project>/dumps")
set(PGSEED_SEED_SET "" CACHE STRING "Seed row counts, e.g. users=20;algorithms=30")
# Sharing through Git LFS or ExternalData: PGSEED_SHARING, fetch-dumps, publish-dump.
include("${CMAKE_CURRENT_LIST_DIR}/pgseedSharing.cmake")

# A data file of pgseed's (such as init-db.sh): beside the module in the source tree (scripts/), or
# where the install put it, which the installed pgseedInstallPaths.cmake says.
function(_pgseed_data_file name out_variable)
  set(_pgseed_module_dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  set(_pgseed_candidates "${_pgseed_module_dir}/../scripts/${name}")
  if(EXISTS "${_pgseed_module_dir}/pgseedInstallPaths.cmake")
    include("${_pgseed_module_dir}/pgseedInstallPaths.cmake")
    list(PREPEND _pgseed_candidates "${_pgseed_installed_data_dir}/${name}")
  endif()
  foreach(_pgseed_candidate IN LISTS _pgseed_candidates)
    if(EXISTS "${_pgseed_candidate}")
      file(REAL_PATH "${_pgseed_candidate}" _pgseed_candidate)
      set(${out_variable} "${_pgseed_candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "pgseed: ${name} not found (looked in: ${_pgseed_candidates}); "
                      "reinstall pgseed or use its complete source tree")
endfunction()

set(PGSEED_PHYSICAL OFF CACHE BOOL "generate-dump also writes a physical snapshot (.pgdata.tar.zst) for the init script")

# The project, dump directory and pgseed of a call, in the caller's _pgseed_ variables: PROJECT_DIR
# (default: the calling directory), DUMP_DIR (else PGSEED_DUMP_DIR, else <PROJECT_DIR>/dumps), and
# PGSEED_EXECUTABLE (else pgseed::pgseed, built first when it is built here, else pgseed on PATH).
# A macro, so that it sets them where they are read.
macro(_pgseed_resolve_locations)
  if(NOT _pgseed_PROJECT_DIR)
    set(_pgseed_PROJECT_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  cmake_path(ABSOLUTE_PATH _pgseed_PROJECT_DIR BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
  if(_pgseed_DUMP_DIR)
    cmake_path(ABSOLUTE_PATH _pgseed_DUMP_DIR BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
  elseif(NOT PGSEED_DUMP_DIR STREQUAL "")
    set(_pgseed_DUMP_DIR "${PGSEED_DUMP_DIR}")
  else()
    set(_pgseed_DUMP_DIR "${_pgseed_PROJECT_DIR}/dumps")
  endif()
  if(NOT _pgseed_PGSEED_EXECUTABLE)
    if(TARGET pgseed::pgseed)
      set(_pgseed_PGSEED_EXECUTABLE "$<TARGET_FILE:pgseed::pgseed>")
      # Built in this build (add_subdirectory, FetchContent): build it before running it.
      get_target_property(_pgseed_built pgseed::pgseed ALIASED_TARGET)
      if(_pgseed_built)
        list(APPEND _pgseed_DEPENDS "${_pgseed_built}")
      endif()
    else()
      find_program(_pgseed_found_executable pgseed REQUIRED)
      set(_pgseed_PGSEED_EXECUTABLE "${_pgseed_found_executable}")
    endif()
  endif()
endmacro()

function(pgseed_add_database_targets)
  cmake_parse_arguments(PARSE_ARGV 0 _pgseed "" "PGSEED_EXECUTABLE;PROJECT_DIR;DUMP_DIR;PREFIX" "DEPENDS")
  if(_pgseed_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pgseed_add_database_targets: unknown arguments: ${_pgseed_UNPARSED_ARGUMENTS}")
  endif()
  _pgseed_resolve_locations()
  _pgseed_data_file(init-db.sh _pgseed_init_script)

  # The URL may hold a password: hand it over in an owner-only file, not on the command line.
  set(_pgseed_url_file "${CMAKE_CURRENT_BINARY_DIR}/pgseed/${_pgseed_PREFIX}database-url")
  if(PGSEED_DATABASE_URL STREQUAL "")
    file(REMOVE "${_pgseed_url_file}")
    # An explicit empty URL means the embedded cluster, whatever DATABASE_URL the shell has.
    set(_pgseed_connection "--database-url=")
  else()
    file(WRITE "${_pgseed_url_file}.tmp" "${PGSEED_DATABASE_URL}\n")
    file(CHMOD "${_pgseed_url_file}.tmp" PERMISSIONS OWNER_READ OWNER_WRITE)
    file(RENAME "${_pgseed_url_file}.tmp" "${_pgseed_url_file}")
    set(_pgseed_connection "--database-url-file=${_pgseed_url_file}")
  endif()

  set(_pgseed_common --project-dir "${_pgseed_PROJECT_DIR}" --environment "${PGSEED_ENVIRONMENT}")
  set(_pgseed_dumps --dump-dir "${_pgseed_DUMP_DIR}")
  set(_pgseed_counts "")
  foreach(_pgseed_setting IN LISTS PGSEED_SEED_SET)
    list(APPEND _pgseed_counts --set "${_pgseed_setting}")
  endforeach()

  _pgseed_sharing_setup()
  _pgseed_add_target("${_pgseed_PREFIX}migrate" "Applying migrations"
    migrate ${_pgseed_connection} --project-dir "${_pgseed_PROJECT_DIR}")
  _pgseed_add_target("${_pgseed_PREFIX}seed" "Seeding the ${PGSEED_ENVIRONMENT} database"
    seed ${_pgseed_connection} ${_pgseed_common} ${_pgseed_counts})
  set(_pgseed_physical "")
  if(PGSEED_PHYSICAL)
    set(_pgseed_physical --physical)
  endif()
  _pgseed_add_target("${_pgseed_PREFIX}generate-dump" "Generating the ${PGSEED_ENVIRONMENT} dump"
    dump ${_pgseed_connection} ${_pgseed_common} ${_pgseed_dumps} ${_pgseed_counts} ${_pgseed_sharing_arguments}
         ${_pgseed_physical})
  _pgseed_add_target("${_pgseed_PREFIX}restore-dump" "Restoring the latest ${PGSEED_ENVIRONMENT} dump"
    restore ${_pgseed_connection} ${_pgseed_common} ${_pgseed_dumps} ${_pgseed_fetched_arguments})
  _pgseed_add_target("${_pgseed_PREFIX}verify-dump" "Verifying the latest ${PGSEED_ENVIRONMENT} dump"
    verify ${_pgseed_common} ${_pgseed_dumps} ${_pgseed_fetched_arguments})
  _pgseed_add_check_dump_target("${_pgseed_PREFIX}" "${_pgseed_PGSEED_EXECUTABLE}" "${_pgseed_PROJECT_DIR}"
    "${_pgseed_DUMP_DIR}" ${_pgseed_DEPENDS})

  # The init script for the official postgres image, and the latest dump beside it. One component
  # and one staging directory per PREFIX: two calls in one build must not overwrite each other's.
  set(_pgseed_component "${_pgseed_PREFIX}initdb")
  set(_pgseed_initdb_dir "docker-entrypoint-initdb.d")
  install(PROGRAMS "${_pgseed_init_script}"
    DESTINATION "${_pgseed_initdb_dir}"
    RENAME "${PGSEED_INITDB_ORDER}-${_pgseed_PREFIX}pgseed-restore.sh"
    COMPONENT "${_pgseed_component}" EXCLUDE_FROM_ALL)
  # Resolved at install time: the links move with every generate-dump.
  install(CODE "
    set(_pgseed_environment \"${PGSEED_ENVIRONMENT}\")
    if(DEFINED ENV{PGSEED_ENVIRONMENT} AND NOT \"\$ENV{PGSEED_ENVIRONMENT}\" STREQUAL \"\")
      set(_pgseed_environment \"\$ENV{PGSEED_ENVIRONMENT}\")
    endif()
    set(_pgseed_dump_dir \"${_pgseed_DUMP_DIR}\")
    if(DEFINED ENV{PGSEED_DUMP_DIR} AND NOT \"\$ENV{PGSEED_DUMP_DIR}\" STREQUAL \"\")
      set(_pgseed_dump_dir \"\$ENV{PGSEED_DUMP_DIR}\")
    endif()
    set(_pgseed_destination \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${_pgseed_initdb_dir}\")
    foreach(_pgseed_suffix .dump .metadata.json)
      set(_pgseed_link \"\${_pgseed_dump_dir}/\${_pgseed_environment}-seeded-latest\${_pgseed_suffix}\")
      # PGSEED_SHARING=externaldata: the dump fetched into the build tree (fetch-dumps).
      if(_pgseed_suffix STREQUAL \".dump\" AND NOT \"${_pgseed_fetched_dump}\" STREQUAL \"\" AND _pgseed_environment STREQUAL \"${PGSEED_ENVIRONMENT}\")
        set(_pgseed_link \"${_pgseed_fetched_dump}\")
      endif()
      set(_pgseed_copy \"\${_pgseed_destination}/\${_pgseed_environment}-seeded-latest\${_pgseed_suffix}\")
      if(EXISTS \"\${_pgseed_link}\")
        file(REAL_PATH \"\${_pgseed_link}\" _pgseed_real)
        message(STATUS \"Installing: \${_pgseed_copy} (from \${_pgseed_real})\")
        file(REMOVE \"\${_pgseed_copy}\")
        file(COPY_FILE \"\${_pgseed_real}\" \"\${_pgseed_copy}\")
      else()
        message(WARNING \"pgseed: no \${_pgseed_link}; the init script will start an empty database. \"
                        \"Run the ${_pgseed_PREFIX}generate-dump target first.\")
        file(REMOVE \"\${_pgseed_copy}\")
      endif()
    endforeach()
    # The physical snapshot (dump --physical), when the latest dump has one; the init script prefers
    # it when the image can start on it. A stale copy from an earlier install must not stay behind.
    set(_pgseed_link \"\${_pgseed_dump_dir}/\${_pgseed_environment}-seeded-latest.pgdata.tar.zst\")
    # PGSEED_SHARING=externaldata: the one fetched beside the dump (fetch-dumps), as for the dump.
    if(NOT \"${_pgseed_fetched_physical}\" STREQUAL \"\" AND _pgseed_environment STREQUAL \"${PGSEED_ENVIRONMENT}\")
      set(_pgseed_link \"${_pgseed_fetched_physical}\")
    endif()
    set(_pgseed_copy \"\${_pgseed_destination}/\${_pgseed_environment}-seeded-latest.pgdata.tar.zst\")
    file(REMOVE \"\${_pgseed_copy}\")
    if(EXISTS \"\${_pgseed_link}\")
      file(REAL_PATH \"\${_pgseed_link}\" _pgseed_real)
      message(STATUS \"Installing: \${_pgseed_copy} (from \${_pgseed_real})\")
      file(COPY_FILE \"\${_pgseed_real}\" \"\${_pgseed_copy}\")
    endif()
  " COMPONENT "${_pgseed_component}" EXCLUDE_FROM_ALL)

  set(_pgseed_staging "${CMAKE_BINARY_DIR}/${_pgseed_PREFIX}initdb")
  add_custom_target(${_pgseed_PREFIX}install-initdb
    COMMAND "${CMAKE_COMMAND}" --install "${CMAKE_BINARY_DIR}" --component "${_pgseed_component}"
            --prefix "${_pgseed_staging}"
    COMMENT "Staging the init script and the latest ${PGSEED_ENVIRONMENT} dump in ${_pgseed_staging}"
    VERBATIM)
  _pgseed_add_sharing_targets()
endfunction()

function(_pgseed_add_target name comment)
  add_custom_target(${name}
    COMMAND ${_pgseed_PGSEED_EXECUTABLE} ${ARGN}
    WORKING_DIRECTORY "${_pgseed_PROJECT_DIR}"
    COMMENT "${comment}"
    USES_TERMINAL
    VERBATIM)
  if(_pgseed_DEPENDS)
    add_dependencies(${name} ${_pgseed_DEPENDS})
  endif()
endfunction()

cmake_policy(POP)
