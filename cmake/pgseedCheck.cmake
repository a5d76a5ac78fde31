# The stale-dump gate of the pgseed module: `pgseed check` as a build target and as a CTest test.
# Included by pgseed.cmake, whose doc block documents check-dump and pgseed_add_dump_check().
include_guard(GLOBAL)

# The check compares the project with the dump that generate-dump writes, so it takes the same
# environment, dump directory and seed set (PGSEED_SEED_SET) as generate-dump.
function(_pgseed_check_arguments out_var project_dir environment dump_dir)
  set(_pgseed_arguments check --project-dir "${project_dir}" --environment "${environment}"
                              --dump-dir "${dump_dir}")
  foreach(_pgseed_setting IN LISTS PGSEED_SEED_SET)
    list(APPEND _pgseed_arguments --set "${_pgseed_setting}")
  endforeach()
  set(${out_var} "${_pgseed_arguments}" PARENT_SCOPE)
endfunction()

# Called from pgseed_add_database_targets with its resolved executable, project directory, dump
# directory and DEPENDS.
function(_pgseed_add_check_dump_target prefix executable project_dir dump_dir)
  _pgseed_check_arguments(_pgseed_arguments "${project_dir}" "${PGSEED_ENVIRONMENT}" "${dump_dir}")
  add_custom_target(${prefix}check-dump
    COMMAND ${executable} ${_pgseed_arguments}
    WORKING_DIRECTORY "${project_dir}"
    COMMENT "Checking that the latest ${PGSEED_ENVIRONMENT} dump matches the project"
    USES_TERMINAL
    VERBATIM)
  if(ARGN)
    add_dependencies(${prefix}check-dump ${ARGN})
  endif()
endfunction()

function(pgseed_add_dump_check)
  cmake_parse_arguments(PARSE_ARGV 0 _pgseed "" "NAME;PREFIX;ENVIRONMENT;PGSEED_EXECUTABLE;PROJECT_DIR;DUMP_DIR" "")
  if(_pgseed_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pgseed_add_dump_check: unknown arguments: ${_pgseed_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _pgseed_NAME)
    set(_pgseed_NAME "${_pgseed_PREFIX}check-dump")
  endif()
  if(NOT _pgseed_ENVIRONMENT)
    set(_pgseed_ENVIRONMENT "${PGSEED_ENVIRONMENT}")
  endif()
  set(_pgseed_DEPENDS "")
  _pgseed_resolve_locations()  # the same rules as pgseed_add_database_targets
  _pgseed_check_arguments(_pgseed_arguments "${_pgseed_PROJECT_DIR}" "${_pgseed_ENVIRONMENT}" "${_pgseed_DUMP_DIR}")
  # The exit code decides: 0 fresh; 6 stale or no dump; anything else (unreadable metadata, a broken
  # profile) fails the test too.
  add_test(NAME "${_pgseed_NAME}"
    COMMAND ${_pgseed_PGSEED_EXECUTABLE} ${_pgseed_arguments}
    WORKING_DIRECTORY "${_pgseed_PROJECT_DIR}")
  set_tests_properties("${_pgseed_NAME}" PROPERTIES LABELS "pgseed")
endfunction()
