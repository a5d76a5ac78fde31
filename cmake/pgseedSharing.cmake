#[=======================================================================[.rst:
pgseedSharing
-------------

How ``pgseed_add_database_targets()`` shares dumps: through Git LFS (the default) or through CMake's
:module:`ExternalData`. Included by the ``pgseed`` module; nothing here is meant to be called directly.

With ``PGSEED_SHARING=externaldata``:

- ``generate-dump`` also writes the content link ``<dump dir>/<env>-seeded-latest.dump.sha256`` (the
  dump's SHA-256 and a newline: ExternalData's format) and puts the dump into the first local object
  store as ``<store>/SHA256/<hash>``. Git keeps the link and the metadata; pgseed writes
  ``<dump dir>/.gitignore`` so the ``.dump`` files stay out of it.
- With ``PGSEED_PHYSICAL=ON`` (``dump --physical``), the physical snapshot travels the same way: the
  link ``<env>-seeded-latest.pgdata.tar.zst.sha256``, its object in the first local store, and
  ``*.pgdata.tar.zst`` in ``.gitignore``. A dump without a snapshot removes that link.
- ``fetch-dumps`` (not part of ``ALL``) brings the object the link names into the build tree,
  ``<build>/pgseed/dumps/<env>-seeded-latest.dump``, from the local stores or the URL templates, in
  order, and the physical snapshot's, when its link exists, beside it as
  ``<env>-seeded-latest.pgdata.tar.zst``. ExternalData checks what it downloads against the hash
  and goes on to the next template when a mirror is down or serves something else; it does not
  check an object it finds in a local store, so pgseed verifies the fetched files against the
  metadata itself.
- ``verify-dump``, ``restore-dump`` and ``install-initdb`` depend on ``fetch-dumps`` and use the
  fetched file with the metadata from the dump directory (``--metadata``).
- ``publish-dump`` runs ``pgseed publish``: the latest object to the first URL template, else the
  first object store.

Cache variables:

``PGSEED_SHARING``
  ``lfs`` (default) or ``externaldata``.
``PGSEED_OBJECT_STORES``
  Local object stores (directories), searched first, in order; ``generate-dump`` puts the object
  into the first. ``ExternalData_OBJECT_STORES``, when set, comes after them. None at all: the
  build tree's ``ExternalData/Objects`` (ExternalData's default) for fetching.
``PGSEED_URL_TEMPLATES``
  Where objects are fetched from, in order, with ``%(algo)`` and ``%(hash)``:
  ``https://dumps.example.com/%(algo)/%(hash)``. ``ExternalData_URL_TEMPLATES`` comes after them.
#]=======================================================================]
include_guard(GLOBAL)
include(ExternalData)

set(PGSEED_SHARING "lfs" CACHE STRING "How dumps are shared: lfs or externaldata")
set_property(CACHE PGSEED_SHARING PROPERTY STRINGS lfs externaldata)
set(PGSEED_OBJECT_STORES "" CACHE STRING "ExternalData object stores (directories), searched in order; dumps go into the first")
set(PGSEED_URL_TEMPLATES "" CACHE STRING "ExternalData URL templates with %(algo) and %(hash), tried in order")

# Called at the start of pgseed_add_database_targets(), in its scope (it reads _pgseed_PREFIX and
# the call's resolved dump directory, _pgseed_DUMP_DIR).
# Sets there:
#   _pgseed_sharing_arguments  for dump and publish: the mode and the stores (empty with lfs)
#   _pgseed_fetched_arguments  for restore, verify and reset: the fetched dump and its metadata
#                              (empty with lfs: the latest link in the dump directory)
#   _pgseed_fetched_dump       the fetched dump's path, for install-initdb (empty with lfs)
#   _pgseed_fetched_physical   the fetched physical snapshot's path, for install-initdb (empty with
#                              lfs; the file is there only when the snapshot's content link exists)
function(_pgseed_sharing_setup)
  set(_pgseed_sharing_arguments "" PARENT_SCOPE)
  set(_pgseed_fetched_arguments "" PARENT_SCOPE)
  set(_pgseed_fetched_dump "" PARENT_SCOPE)
  set(_pgseed_fetched_physical "" PARENT_SCOPE)
  if(PGSEED_SHARING STREQUAL "lfs")
    return()
  elseif(NOT PGSEED_SHARING STREQUAL "externaldata")
    message(FATAL_ERROR "pgseed: PGSEED_SHARING is '${PGSEED_SHARING}'; it must be lfs or externaldata")
  endif()

  set(_pgseed_arguments --sharing=externaldata)
  # pgseed runs in the project directory, ExternalData's fetch in the build tree: a relative store
  # is made absolute once, against the project (where the dumps are), so both use one directory.
  set(_pgseed_stores "")
  foreach(_pgseed_store IN LISTS PGSEED_OBJECT_STORES)
    cmake_path(ABSOLUTE_PATH _pgseed_store BASE_DIRECTORY "${_pgseed_PROJECT_DIR}" NORMALIZE)
    list(APPEND _pgseed_stores "${_pgseed_store}")
  endforeach()
  set(_pgseed_object_stores "${_pgseed_stores}" PARENT_SCOPE)
  foreach(_pgseed_store IN LISTS _pgseed_stores ExternalData_OBJECT_STORES)
    list(APPEND _pgseed_arguments "--object-store=${_pgseed_store}")
  endforeach()
  foreach(_pgseed_template IN LISTS PGSEED_URL_TEMPLATES ExternalData_URL_TEMPLATES)
    # ExternalData may read from https://user:secret@host/...; on pgseed's command line the secret
    # would show in ps and verbose build logs. pgseed only writes to file:// templates and refuses a
    # url with credentials for publish, so the masked url keeps both behaviours.
    string(REGEX REPLACE "^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@" "\\1***@" _pgseed_template "${_pgseed_template}")
    list(APPEND _pgseed_arguments "--url-template=${_pgseed_template}")
  endforeach()

  set(_pgseed_name "${PGSEED_ENVIRONMENT}-seeded-latest.dump")
  # ExternalData puts the file at the link's path under its binary root: <build>/pgseed/dumps/<name>.
  set(_pgseed_fetched "${CMAKE_CURRENT_BINARY_DIR}/pgseed/${_pgseed_PREFIX}dumps/${_pgseed_name}")
  set(_pgseed_metadata "${_pgseed_DUMP_DIR}/${PGSEED_ENVIRONMENT}-seeded-latest.metadata.json")
  set(_pgseed_sharing_arguments "${_pgseed_arguments}" PARENT_SCOPE)
  set(_pgseed_fetched_arguments "${_pgseed_fetched}" "--metadata=${_pgseed_metadata}" PARENT_SCOPE)
  set(_pgseed_fetched_dump "${_pgseed_fetched}" PARENT_SCOPE)
  set(_pgseed_fetched_physical
      "${CMAKE_CURRENT_BINARY_DIR}/pgseed/${_pgseed_PREFIX}dumps/${PGSEED_ENVIRONMENT}-seeded-latest.pgdata.tar.zst"
      PARENT_SCOPE)
endfunction()

# Called at the end of pgseed_add_database_targets(): fetch-dumps and publish-dump, and the
# dependencies of the targets that read the fetched dump.
function(_pgseed_add_sharing_targets)
  if(NOT PGSEED_SHARING STREQUAL "externaldata")
    return()
  endif()
  set(_pgseed_fetch "${_pgseed_PREFIX}fetch-dumps")
  set(_pgseed_name "${PGSEED_ENVIRONMENT}-seeded-latest.dump")
  set(_pgseed_link "${_pgseed_DUMP_DIR}/${_pgseed_name}.sha256")
  if(EXISTS "${_pgseed_link}")
    # ExternalData prefers a real file beside the link over the link, and the producer's dump
    # directory has one (the latest link), possibly older than a link just pulled. A directory with
    # only a copy of the link makes the link the one source. configure_file re-runs CMake when the
    # link changes (a pull, a new dump), which re-copies it and makes fetch-dumps fetch again.
    set(_pgseed_links "${CMAKE_CURRENT_BINARY_DIR}/pgseed/${_pgseed_PREFIX}links")
    configure_file("${_pgseed_link}" "${_pgseed_links}/${_pgseed_name}.sha256" COPYONLY)
    set(ExternalData_SOURCE_ROOT "${_pgseed_links}")
    set(ExternalData_BINARY_ROOT "${CMAKE_CURRENT_BINARY_DIR}/pgseed/${_pgseed_PREFIX}dumps")
    set(ExternalData_OBJECT_STORES ${_pgseed_object_stores} ${ExternalData_OBJECT_STORES})
    set(ExternalData_URL_TEMPLATES ${PGSEED_URL_TEMPLATES} ${ExternalData_URL_TEMPLATES})
    if(NOT ExternalData_OBJECT_STORES AND NOT ExternalData_URL_TEMPLATES)
      message(WARNING "pgseed: PGSEED_SHARING is externaldata but neither PGSEED_OBJECT_STORES nor "
                      "PGSEED_URL_TEMPLATES is set; fetch-dumps can only find objects in the build tree")
      set(ExternalData_OBJECT_STORES "${CMAKE_BINARY_DIR}/ExternalData/Objects")
    endif()
    ExternalData_Expand_Arguments(${_pgseed_fetch} _pgseed_fetched "DATA{${_pgseed_links}/${_pgseed_name}}")
    # The physical snapshot (dump --physical) comes along when the latest dump has one. A dump
    # without one removes its link, which changes the dump's link too and so configures again: the
    # copy of the link and the fetched archive of older data go then, or install-initdb would
    # install that archive.
    set(_pgseed_physical_name "${PGSEED_ENVIRONMENT}-seeded-latest.pgdata.tar.zst")
    if(EXISTS "${_pgseed_DUMP_DIR}/${_pgseed_physical_name}.sha256")
      configure_file("${_pgseed_DUMP_DIR}/${_pgseed_physical_name}.sha256"
                     "${_pgseed_links}/${_pgseed_physical_name}.sha256" COPYONLY)
      ExternalData_Expand_Arguments(${_pgseed_fetch} _pgseed_fetched_physical
                                    "DATA{${_pgseed_links}/${_pgseed_physical_name}}")
    else()
      file(REMOVE "${_pgseed_links}/${_pgseed_physical_name}.sha256" "${ExternalData_BINARY_ROOT}/${_pgseed_physical_name}")
    endif()
    ExternalData_Add_Target(${_pgseed_fetch})
    # ExternalData_Add_Target makes its target part of ALL; a build must not need the stores.
    set_property(TARGET ${_pgseed_fetch} PROPERTY EXCLUDE_FROM_ALL TRUE)
  else()
    add_custom_target(${_pgseed_fetch}
      COMMAND "${CMAKE_COMMAND}" -E echo "pgseed: error: content link ${_pgseed_link} does not exist"
      COMMAND "${CMAKE_COMMAND}" -E echo "pgseed: hint: run the ${_pgseed_PREFIX}generate-dump target (PGSEED_SHARING=externaldata) and commit the link, or pull it"
      COMMAND "${CMAKE_COMMAND}" -E false
      VERBATIM)
    # Once the link appears (a dump, a pull), the next build configures again and fetches it: a
    # directory changes when an entry is added. A dump directory that does not exist yet is watched
    # through its parent, where it will appear.
    if(IS_DIRECTORY "${_pgseed_DUMP_DIR}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_pgseed_DUMP_DIR}")
    else()
      get_filename_component(_pgseed_parent "${_pgseed_DUMP_DIR}" DIRECTORY)
      if(IS_DIRECTORY "${_pgseed_parent}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_pgseed_parent}")
      endif()
    endif()
  endif()
  foreach(_pgseed_reader restore-dump verify-dump install-initdb)
    add_dependencies(${_pgseed_PREFIX}${_pgseed_reader} ${_pgseed_fetch})
  endforeach()

  _pgseed_add_target("${_pgseed_PREFIX}publish-dump" "Publishing the latest ${PGSEED_ENVIRONMENT} dump"
    publish ${_pgseed_common} ${_pgseed_dumps} ${_pgseed_sharing_arguments})
endfunction()
