#[=======================================================================[.rst:
pgseed
------

Adds a project's database targets: run its SQL migrations, seed it, write a verified dump, restore
and verify dumps, all with the ``pgseed`` tool.

.. command:: pgseed_add_database_targets

  ::

    pgseed_add_database_targets(
      [PGSEED_EXECUTABLE <path>]   # default: the pgseed::pgseed target, or pgseed on PATH
      [DEPENDS <target>...]        # built before any database target (e.g. pgseed itself)
      [PROJECT_DIR <dir>]          # holds migrations/ and seeds/; default CMAKE_CURRENT_SOURCE_DIR
      [PREFIX <prefix>])           # prepended to target names, to avoid clashes; default none

  Creates the targets ``migrate``, ``seed``, ``generate-dump``, ``restore-dump`` and
  ``verify-dump`` (each preceded by ``PREFIX``). They run in the terminal (``USES_TERMINAL``), so
  ``restore-dump`` can ask for confirmation.

  It also adds the install component ``initdb``: ``cmake --install <build> --component initdb
  --prefix <dir>`` puts the init script into ``<dir>/docker-entrypoint-initdb.d/`` as
  ``<PGSEED_INITDB_ORDER>-pgseed-restore.sh`` with the environment's latest dump and metadata beside
  it, copied as regular files (a bind mount cannot follow links out of the directory). The
  environment variables ``PGSEED_ENVIRONMENT`` and ``PGSEED_DUMP_DIR``, when set at install time,
  choose another dump than the cache variables. The target
  ``install-initdb`` stages the same into ``<build>/initdb``, which docker-compose.yml mounts.

Cache variables:

``PGSEED_DATABASE_URL``
  Target database, a libpq URI or keyword string. Empty (the default): each target starts a
  throwaway embedded PostgreSQL cluster. The URL is passed to pgseed through a file in the build tree
  readable only by its owner, never on a command line. Prefer a URL without a password and a
  ``~/.pgpass`` (or ``PGPASSFILE``): the CMake cache itself is a plain file.
``PGSEED_ENVIRONMENT``
  Which seed set and dumps: ``dev`` by default.
``PGSEED_DUMP_DIR``
  Where dumps are written and read: ``${PROJECT_SOURCE_DIR}/dumps`` by default.
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

set(_pgseed_init_script "${CMAKE_CURRENT_LIST_DIR}/../scripts/init-db.sh")
set(PGSEED_INITDB_ORDER "10" CACHE STRING "Prefix of the init script in docker-entrypoint-initdb.d")

set(PGSEED_DATABASE_URL "" CACHE STRING "Database for pgseed targets (libpq URI); empty: embedded cluster")
set(PGSEED_ENVIRONMENT "dev" CACHE STRING "pgseed environment (seed set and dump names)")
set(PGSEED_DUMP_DIR "${PROJECT_SOURCE_DIR}/dumps" CACHE PATH "Where pgseed writes and reads dumps")
set(PGSEED_SEED_SET "" CACHE STRING "Seed row counts, e.g. users=20;algorithms=30")
set(PGSEED_PHYSICAL OFF CACHE BOOL "generate-dump also writes a physical snapshot (.pgdata.tar.zst) for the init script")

function(pgseed_add_database_targets)
  cmake_parse_arguments(PARSE_ARGV 0 _pgseed "" "PGSEED_EXECUTABLE;PROJECT_DIR;PREFIX" "DEPENDS")
  if(_pgseed_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pgseed_add_database_targets: unknown arguments: ${_pgseed_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _pgseed_PROJECT_DIR)
    set(_pgseed_PROJECT_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  if(NOT _pgseed_PGSEED_EXECUTABLE)
    if(TARGET pgseed::pgseed)
      set(_pgseed_PGSEED_EXECUTABLE "$<TARGET_FILE:pgseed::pgseed>")
    else()
      find_program(_pgseed_found_executable pgseed REQUIRED)
      set(_pgseed_PGSEED_EXECUTABLE "${_pgseed_found_executable}")
    endif()
  endif()

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
  set(_pgseed_dumps --dump-dir "${PGSEED_DUMP_DIR}")
  set(_pgseed_counts "")
  foreach(_pgseed_setting IN LISTS PGSEED_SEED_SET)
    list(APPEND _pgseed_counts --set "${_pgseed_setting}")
  endforeach()

  _pgseed_add_target("${_pgseed_PREFIX}migrate" "Applying migrations"
    migrate ${_pgseed_connection} --project-dir "${_pgseed_PROJECT_DIR}")
  _pgseed_add_target("${_pgseed_PREFIX}seed" "Seeding the ${PGSEED_ENVIRONMENT} database"
    seed ${_pgseed_connection} ${_pgseed_common} ${_pgseed_counts})
  set(_pgseed_physical "")
  if(PGSEED_PHYSICAL)
    set(_pgseed_physical --physical)
  endif()
  _pgseed_add_target("${_pgseed_PREFIX}generate-dump" "Generating the ${PGSEED_ENVIRONMENT} dump"
    dump ${_pgseed_connection} ${_pgseed_common} ${_pgseed_dumps} ${_pgseed_counts} ${_pgseed_physical})
  _pgseed_add_target("${_pgseed_PREFIX}restore-dump" "Restoring the latest ${PGSEED_ENVIRONMENT} dump"
    restore ${_pgseed_connection} ${_pgseed_common} ${_pgseed_dumps})
  _pgseed_add_target("${_pgseed_PREFIX}verify-dump" "Verifying the latest ${PGSEED_ENVIRONMENT} dump"
    verify ${_pgseed_common} ${_pgseed_dumps})

  # The init script for the official postgres image, and the latest dump beside it.
  set(_pgseed_initdb_dir "docker-entrypoint-initdb.d")
  install(PROGRAMS "${_pgseed_init_script}"
    DESTINATION "${_pgseed_initdb_dir}"
    RENAME "${PGSEED_INITDB_ORDER}-pgseed-restore.sh"
    COMPONENT initdb EXCLUDE_FROM_ALL)
  # Resolved at install time: the links move with every generate-dump.
  install(CODE "
    set(_pgseed_environment \"${PGSEED_ENVIRONMENT}\")
    if(DEFINED ENV{PGSEED_ENVIRONMENT} AND NOT \"\$ENV{PGSEED_ENVIRONMENT}\" STREQUAL \"\")
      set(_pgseed_environment \"\$ENV{PGSEED_ENVIRONMENT}\")
    endif()
    set(_pgseed_dump_dir \"${PGSEED_DUMP_DIR}\")
    if(DEFINED ENV{PGSEED_DUMP_DIR} AND NOT \"\$ENV{PGSEED_DUMP_DIR}\" STREQUAL \"\")
      set(_pgseed_dump_dir \"\$ENV{PGSEED_DUMP_DIR}\")
    endif()
    set(_pgseed_destination \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${_pgseed_initdb_dir}\")
    foreach(_pgseed_suffix .dump .metadata.json)
      set(_pgseed_link \"\${_pgseed_dump_dir}/\${_pgseed_environment}-seeded-latest\${_pgseed_suffix}\")
      set(_pgseed_copy \"\${_pgseed_destination}/\${_pgseed_environment}-seeded-latest\${_pgseed_suffix}\")
      if(EXISTS \"\${_pgseed_link}\")
        file(REAL_PATH \"\${_pgseed_link}\" _pgseed_real)
        message(STATUS \"Installing: \${_pgseed_copy} (from \${_pgseed_real})\")
        file(REMOVE \"\${_pgseed_copy}\")
        file(COPY_FILE \"\${_pgseed_real}\" \"\${_pgseed_copy}\")
      else()
        message(WARNING \"pgseed: no \${_pgseed_link}; the init script will start an empty database. \"
                        \"Run the generate-dump target first.\")
        file(REMOVE \"\${_pgseed_copy}\")
      endif()
    endforeach()
    # The physical snapshot (dump --physical), when the latest dump has one; the init script prefers
    # it when the image can start on it. A stale copy from an earlier install must not stay behind.
    set(_pgseed_link \"\${_pgseed_dump_dir}/\${_pgseed_environment}-seeded-latest.pgdata.tar.zst\")
    set(_pgseed_copy \"\${_pgseed_destination}/\${_pgseed_environment}-seeded-latest.pgdata.tar.zst\")
    file(REMOVE \"\${_pgseed_copy}\")
    if(EXISTS \"\${_pgseed_link}\")
      file(REAL_PATH \"\${_pgseed_link}\" _pgseed_real)
      message(STATUS \"Installing: \${_pgseed_copy} (from \${_pgseed_real})\")
      file(COPY_FILE \"\${_pgseed_real}\" \"\${_pgseed_copy}\")
    endif()
  " COMPONENT initdb EXCLUDE_FROM_ALL)

  add_custom_target(${_pgseed_PREFIX}install-initdb
    COMMAND "${CMAKE_COMMAND}" --install "${CMAKE_BINARY_DIR}" --component initdb --prefix "${CMAKE_BINARY_DIR}/initdb"
    COMMENT "Staging the init script and the latest ${PGSEED_ENVIRONMENT} dump in ${CMAKE_BINARY_DIR}/initdb"
    VERBATIM)
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
